"""Consumer discipline: decode, dedup, apply in one transaction, then commit the offset.

Errors are classified (arroyo-style):
- poison — the message itself is wrong (invalid event, a handler's ``PoisonMessage``):
  dead-lettered at once, the partition moves on;
- transient — an outage (database or network): retried with capped exponential backoff
  and jitter for as long as it lasts; the offset is not committed meanwhile;
- anything else — a bug or an unforeseen input: retried a few times, then dead-lettered.
"""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any

import asyncpg
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from shared.contracts.envelope import CloudEvent, InvalidEvent, decode
from shared.infra import inbox
from shared.infra.crash import crash_point
from shared.infra.db import Connection
from shared.infra.deadletter import DeadLetters
from shared.infra.kafka import Record
from shared.infra.metrics import InfraMetrics

log = logging.getLogger(__name__)

Handler = Callable[[Connection, CloudEvent[Any]], Awaitable[None]]

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.QueryCanceledError,
)


class PoisonMessage(Exception):
    """Raised by a handler for a well-formed event that can never be processed."""


class Outcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


class EventConsumer:
    """Applies events of one topic to a service through typed handlers, exactly once."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        handlers: Mapping[str, Handler],
        dead_letters: DeadLetters,
        metrics: InfraMetrics,
        max_attempts: int = 5,
        backoff_initial: float = 0.2,
        backoff_max: float = 30.0,
    ) -> None:
        self._pool = pool
        self._handlers = handlers
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max

    async def process(self, record: Record) -> Outcome:
        """Process one record to a final outcome; only an outage makes it wait."""
        started = time.perf_counter()
        outcome = await self._process(record)
        self._metrics.consumed.labels(record.topic, outcome.value).inc()
        self._metrics.handler_seconds.labels(record.topic).observe(time.perf_counter() - started)
        return outcome

    async def _process(self, record: Record) -> Outcome:
        try:
            event = decode(record.value)
        except InvalidEvent as exc:
            await self._dead_letter(record, f"invalid event: {exc}")
            return Outcome.DEAD_LETTERED
        handler = self._handlers.get(event.type)
        if handler is None:
            return Outcome.IGNORED
        failures = 0
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._apply(record, event, handler)
            except PoisonMessage as exc:
                await self._dead_letter(record, f"rejected: {exc}")
                return Outcome.DEAD_LETTERED
            except TRANSIENT_ERRORS as exc:
                self._metrics.retries.labels(record.topic, "transient").inc()
                log.warning(
                    "transient failure, retrying",
                    extra={"event_id": event.id, "error": type(exc).__name__, "attempt": attempt},
                )
            except Exception as exc:
                failures += 1
                self._metrics.retries.labels(record.topic, "unexpected").inc()
                log.exception("handler failed", extra={"event_id": event.id, "attempt": failures})
                if failures >= self._max_attempts:
                    await self._dead_letter(
                        record, f"failed {failures} times: {type(exc).__name__}: {exc}"
                    )
                    return Outcome.DEAD_LETTERED
            await asyncio.sleep(self._backoff(attempt))

    async def _apply(self, record: Record, event: CloudEvent[Any], handler: Handler) -> Outcome:
        async with self._pool.acquire() as conn, conn.transaction():
            if not await inbox.claim(conn, event.id, record.topic):
                return Outcome.DUPLICATE
            await handler(conn, event)
        crash_point("consumer.after_commit")
        return Outcome.PROCESSED

    async def _dead_letter(self, record: Record, error: str) -> None:
        """Publish to the dead-letter topic, waiting out a broker outage: never skip."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._dead_letters.send(record, error)
                return
            except Exception as exc:
                self._metrics.retries.labels(record.topic, "dead_letter").inc()
                log.warning(
                    "dead-letter publish failed, retrying", extra={"error": type(exc).__name__}
                )
            await asyncio.sleep(self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_max, self._backoff_initial * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    """Hand the handler the record's bytes: decoding is ``EventConsumer``'s job."""
    return message.body


def subscribe(
    broker: KafkaBroker, topic: str, *, group_id: str, consumer: EventConsumer, title: str
) -> None:
    """Register ``consumer`` on ``topic`` in group ``group_id``; the offset is committed
    only after the outcome is durable (effects committed or the record dead-lettered)."""
    subscriber = broker.subscriber(
        topic,
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=_raw_body,
        title=title,
    )

    @subscriber
    async def on_message(body: bytes, message: KafkaMessage) -> None:
        raw = message.raw_message
        assert not isinstance(raw, tuple), "batch subscribers are not used"
        await consumer.process(
            Record(
                topic=raw.topic,
                partition=raw.partition,
                offset=raw.offset,
                key=raw.key,
                value=raw.value or b"",
                headers=tuple(raw.headers or ()),
            )
        )
        await message.ack()
