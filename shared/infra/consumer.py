"""Consumer discipline: decode, dedup, apply in one transaction, then commit the offset.

Records come from Kafka in batches (what one fetch holds, up to ``MAX_BATCH``). A batch is
applied in one transaction: one inbox claim of every event id, the service's ``prepare``
with the new events (say, to lock the rows they touch, in one consistent order), then
each handler in order. If anything in it fails, the transaction rolls back and the batch
is applied again one record at a time, each in its own transaction, where errors are
classified (arroyo-style):
- poison — the message itself is wrong (invalid event, a handler's ``PoisonMessage``):
  dead-lettered at once, the partition moves on;
- transient — an outage (database or network): retried with capped exponential backoff
  and jitter for as long as it lasts; the offset is not committed meanwhile;
- anything else — a bug or an unforeseen input: retried a few times, then dead-lettered.
The offsets of a batch are committed once, after every record in it reached its outcome;
a crash in between redelivers the batch, and the inbox turns it into duplicates.
Handlers count their metrics with :func:`~shared.infra.aftercommit.after_commit`: once
their transaction committed, never for one rolled back.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage

from shared.contracts.envelope import CloudEvent, InvalidEvent, decode
from shared.infra import aftercommit, inbox
from shared.infra.backoff import backoff
from shared.infra.crash import crash_point
from shared.infra.db import Connection
from shared.infra.deadletter import DeadLetters
from shared.infra.kafka import Record
from shared.infra.metrics import InfraMetrics

log = logging.getLogger(__name__)

Handler = Callable[[Connection, CloudEvent[Any]], Awaitable[None]]
Prepare = Callable[[Connection, Sequence[CloudEvent[Any]]], Awaitable[None]]
"""Runs in the transaction before the handlers, with the events they are about to apply."""

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


MAX_BATCH = 100
"""Most records taken from Kafka at once, applied in one transaction and one offset commit."""
BATCH_WAIT_MS = 50
"""How long a fetch waits for records when none are buffered (FastStream then sleeps as
long again before the next fetch): the added latency of an idle consumer."""


class PoisonMessage(Exception):
    """Raised by a handler for a well-formed event that can never be processed."""


class Outcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class _Work:
    """A decoded record with the handler of its event type."""

    record: Record
    event: CloudEvent[Any]
    handler: Handler


class EventConsumer:
    """Applies events of one topic to a service through typed handlers, exactly once."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        handlers: Mapping[str, Handler],
        dead_letters: DeadLetters,
        metrics: InfraMetrics,
        prepare: Prepare | None = None,
        max_attempts: int = 5,
        backoff_initial: float = 0.2,
        backoff_max: float = 30.0,
    ) -> None:
        self._pool = pool
        self._handlers = handlers
        self._prepare = prepare
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max

    async def process(self, records: Sequence[Record]) -> list[Outcome]:
        """Process ``records`` in order to final outcomes; only an outage makes it wait."""
        started = time.perf_counter()
        outcomes = await self._process(records)
        each = (time.perf_counter() - started) / max(len(records), 1)
        for record, outcome in zip(records, outcomes, strict=True):
            self._metrics.consumed.labels(record.topic, outcome.value).inc()
            self._metrics.handler_seconds.labels(record.topic).observe(each)
        return outcomes

    async def _process(self, records: Sequence[Record]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        work: dict[int, _Work] = {}
        for n, record in enumerate(records):
            try:
                event = decode(record.value)
            except InvalidEvent as exc:
                await self._dead_letter(record, f"invalid event: {exc}")
                outcomes[n] = Outcome.DEAD_LETTERED
                continue
            handler = self._handlers.get(event.type)
            if handler is None:
                outcomes[n] = Outcome.IGNORED
            else:
                work[n] = _Work(record, event, handler)
        if work:
            try:
                outcomes.update(zip(work, await self._apply_all(list(work.values())), strict=True))
            except Exception as exc:
                self._metrics.retries.labels(records[0].topic, "batch").inc()
                log.info(
                    "batch failed, applying its events one by one",
                    extra={"events": len(work), "error": type(exc).__name__},
                )
                for n, item in work.items():
                    outcomes[n] = await self._process_one(item)
        return [outcomes[n] for n in range(len(records))]

    async def _apply_all(self, work: Sequence[_Work]) -> list[Outcome]:
        """The fast path: every event of the batch in one transaction, or none."""
        async with self._pool.acquire() as conn, aftercommit.collecting(), conn.transaction():
            new = await inbox.claim_all(conn, [(w.event.id, w.record.topic) for w in work])
            outcomes = []
            fresh = []
            for item in work:
                if item.event.id in new:
                    new.discard(item.event.id)  # a second copy in the batch is a duplicate
                    fresh.append(item)
                    outcomes.append(Outcome.PROCESSED)
                else:
                    outcomes.append(Outcome.DUPLICATE)
            if fresh and self._prepare is not None:
                await self._prepare(conn, [item.event for item in fresh])
            for item in fresh:
                await item.handler(conn, item.event)
        crash_point("consumer.after_commit")
        return outcomes

    async def _process_one(self, item: _Work) -> Outcome:
        """Apply one event alone, classifying its errors (see the module docstring)."""
        record, event = item.record, item.event
        failures = 0
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._apply(item)
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

    async def _apply(self, item: _Work) -> Outcome:
        async with self._pool.acquire() as conn, aftercommit.collecting(), conn.transaction():
            if not await inbox.claim(conn, item.event.id, item.record.topic):
                return Outcome.DUPLICATE
            if self._prepare is not None:
                await self._prepare(conn, [item.event])
            await item.handler(conn, item.event)
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
        return backoff(attempt, self._backoff_initial, self._backoff_max)


async def _lenient_headers(
    raw: tuple[ConsumerRecord[Any, Any], ...],
    parse: Callable[[tuple[ConsumerRecord[Any, Any], ...]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream decodes every header as UTF-8 and fails the whole batch, again and again,
    on one that is not (Kafka headers are bytes): it parses copies whose headers are made
    valid, and the message keeps the records as received for :func:`_records`."""
    message = await parse(tuple(_utf8_headers(record) for record in raw))
    message.raw_message = raw
    return message


def _utf8_headers(record: ConsumerRecord[Any, Any]) -> ConsumerRecord[Any, Any]:
    try:
        for _, value in record.headers or ():
            value.decode()
    except UnicodeDecodeError:
        headers = [(k, v.decode(errors="replace").encode()) for k, v in record.headers]
        return replace(record, headers=headers)
    return record


async def _records(message: StreamMessage[Any]) -> tuple[Record, ...]:
    """Hand the handler the batch's records as received: decoding is ``EventConsumer``'s."""
    raw = message.raw_message
    return tuple(
        Record(
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            key=r.key,
            value=r.value or b"",
            headers=tuple(r.headers or ()),
        )
        for r in (raw if isinstance(raw, tuple) else (raw,))
    )


def subscribe(
    broker: KafkaBroker, topic: str, *, group_id: str, consumer: EventConsumer, title: str
) -> None:
    """Register ``consumer`` on ``topic`` in group ``group_id``, in batches.

    The batch's offsets are committed (``ack``) only after ``consumer`` returned, when every
    outcome is durable (effects committed or the record dead-lettered); should it raise,
    ``nack`` rewinds to the batch's first record instead.
    """
    subscriber = broker.subscriber(
        topic,
        group_id=group_id,
        batch=True,
        max_records=MAX_BATCH,
        batch_timeout_ms=BATCH_WAIT_MS,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        parser=_lenient_headers,
        decoder=_records,
        title=title,
    )

    @subscriber
    async def on_batch(records: Any) -> None:
        await consumer.process(records)
