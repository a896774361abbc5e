"""Sender: the background task that sends claimed messages, exactly once by construction.

One round:

1. requeue rows left ``sending`` by a sender that died (counted: the ambiguous window);
2. claim due rows (``FOR UPDATE SKIP LOCKED``), mark them ``sending`` and hold a session
   advisory lock per row on the claiming connection: while that session lives, nobody
   else touches the row; if the process dies, the lock goes with it;
3. send each (a few in flight at once), then record the outcome and its
   ``notification.*`` event in one transaction, and release the row's lock.

A crash after the server accepted a message and before step 3 committed leaves the row
``sending`` with no lock: the next round anywhere sends it again, with the same
Message-ID. That is the one window, at most one duplicate, never a loss.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg

from services.notifier import outcomes, store
from services.notifier.compose import Composer
from services.notifier.headers import InvalidAddress
from services.notifier.metrics import NotifierMetrics
from services.notifier.rendering import PastDeadline
from services.notifier.retry import RetryPolicy
from services.notifier.transports.base import (
    ChatTransport,
    EmailTransport,
    PermanentSendError,
    TransientSendError,
    redact,
)
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import Channel
from shared.infra import outbox
from shared.infra.clock import Clock
from shared.infra.consumer import TRANSIENT_ERRORS
from shared.infra.crash import crash_point
from shared.infra.db import Connection

log = logging.getLogger(__name__)

SCHEMA = "notifier"
CRASH_POINT = "notifier.after_smtp_accept"
_RECORD_ATTEMPTS = 5


class Sender:
    """Sends due notifications until stopped; one per process, any number of processes."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        composer: Composer,
        email: EmailTransport,
        chat: ChatTransport | None,
        policy: RetryPolicy,
        clock: Clock,
        metrics: NotifierMetrics,
        batch_size: int = 50,
        concurrency: int = 8,
        poll_interval: float = 1.0,
        chance: Callable[[], float] = random.random,
    ) -> None:
        self._pool = pool
        self._composer = composer
        self._email = email
        self._chat = chat
        self._policy = policy
        self._clock = clock
        self._metrics = metrics
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._chance = chance
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; database outages are waited out."""
        try:
            while not stop.is_set():
                try:
                    await self._serve(stop)
                except TRANSIENT_ERRORS as exc:
                    log.warning("sender interrupted: %s", type(exc).__name__)
                    await _wait_any(stop, self._wake, self._poll_interval)
                except Exception:
                    log.exception("sender round failed; retrying")
                    await _wait_any(stop, self._wake, self._poll_interval)
        finally:
            await self._email.close()
            if self._chat is not None:
                await self._chat.close()

    async def _serve(self, stop: asyncio.Event) -> None:
        async with self._pool.acquire() as listener:
            await listener.add_listener(store.CHANNEL, self._on_notify)
            try:
                while not stop.is_set():
                    self._wake.clear()
                    await self.recover()
                    if await self.send_batch() < self._batch_size:
                        await self.refresh_backlog()
                        await _wait_any(stop, self._wake, self._poll_interval)
            finally:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(store.CHANNEL, self._on_notify)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """Requeue rows a dead sender left mid-send; returns how many (also a metric)."""
        async with self._pool.acquire() as conn, conn.transaction():
            count = await store.recover_abandoned(conn, self._clock.now())
        if count:
            self._metrics.ambiguous.inc(count)
            log.warning("sending again messages a stopped sender may have delivered: %d", count)
        return count

    async def send_batch(self) -> int:
        """Claim and send one batch; returns how many rows it took."""
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                rows = await store.claim_due(conn, self._clock.now(), self._batch_size)
            if not rows:
                return 0
            session = asyncio.Lock()  # the claiming connection runs one query at a time
            slots = asyncio.Semaphore(self._concurrency)

            async def one(row: store.Claimed) -> None:
                async with slots:
                    await self._deliver(row)
                async with session:
                    await store.release(conn, row.id)

            results = await asyncio.gather(*(one(row) for row in rows), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    log.error("recording a send outcome failed: %s", type(result).__name__)
            return len(rows)

    async def refresh_backlog(self) -> None:
        async with self._pool.acquire() as conn:
            for state, count in (await store.backlog(conn)).items():
                self._metrics.pending.labels(state).set(count)

    async def _deliver(self, row: store.Claimed) -> None:
        ids = {"order_id": row.order.order_id, "notification_id": _nid(row), "kind": row.kind}
        channel = row.kind.channel
        if channel is Channel.CHAT and self._chat is None:
            await self._finish(row, "skipped")
            log.info("no chat webhook configured: alert skipped", extra=ids)
            return
        started = time.perf_counter()
        try:
            message_id = await self._send(row)
        except (PermanentSendError, InvalidAddress, PastDeadline) as exc:
            self._observe(channel, started)
            await self._finish(row, "failed", error=redact(str(exc)), permanent=True)
            log.warning("message refused for good: %s", redact(str(exc)), extra=ids)
        except TransientSendError as exc:
            self._observe(channel, started)
            await self._retry(row, exc.reason, str(exc), exc.retry_after)
        except Exception as exc:
            log.exception("sending failed unexpectedly", extra=ids)
            await self._retry(row, "unexpected", type(exc).__name__, None)
        else:
            self._observe(channel, started)
            await self._finish(row, "sent", message_id=message_id)

    async def _send(self, row: store.Claimed) -> str:
        """Send ``row``'s message; returns its message id once the server accepted it."""
        key = _nid(row)
        if row.kind.channel is Channel.CHAT:
            assert self._chat is not None
            payload = self._composer.chat(row.kind, row.order, row.trigger.data)
            await self._chat.post(payload, idempotency_key=key)
            message_id = key
        else:
            email = self._composer.email(
                row.kind, row.order, row.trigger.data, row.dedup_key, self._clock.now()
            )
            await self._email.send(email, idempotency_key=key)
            message_id = str(email["Message-ID"])
        crash_point(CRASH_POINT)
        return message_id

    async def _retry(
        self, row: store.Claimed, reason: str, error: str, retry_after: float | None
    ) -> None:
        now = self._clock.now()
        at = self._policy.next_attempt(
            attempts=row.attempts, created_at=row.created_at, now=now, chance=self._chance()
        )
        if at is None:
            message = f"gave up after {row.attempts} attempts: {redact(error)}"
            await self._finish(row, "failed", error=message, permanent=False)
            log.warning("message given up: %s", message, extra={"notification_id": _nid(row)})
            return
        if retry_after is not None:
            at = max(at, now + timedelta(seconds=retry_after))
        self._metrics.retries.labels(row.kind.channel, reason).inc()

        async def requeue(conn: Connection) -> None:
            await store.reschedule(conn, row.id, at, redact(error))

        await self._record(requeue)

    async def _finish(
        self,
        row: store.Claimed,
        state: str,
        *,
        message_id: str | None = None,
        error: str | None = None,
        permanent: bool = True,
    ) -> None:
        now = self._clock.now()
        common: dict[str, Any] = {
            "order_id": row.order.order_id,
            "trigger_id": row.trigger.id,
            "at": now,
        }
        events: list[CloudEvent[Any]] = []
        if state == "sent":
            assert message_id is not None
            events = [outcomes.sent(row.kind, row.dedup_key, message_id=message_id, **common)]
        elif state == "failed":
            assert error is not None
            events = [
                outcomes.failed(row.kind, row.dedup_key, error=error, permanent=permanent, **common)
            ]

        async def record(conn: Connection) -> None:
            if await store.finish(conn, row.id, state, now, error):
                await outbox.enqueue(conn, SCHEMA, events)

        await self._record(record)
        self._metrics.notifications.labels(row.kind.value, row.kind.channel, state).inc()

    async def _record(self, change: Callable[[Connection], Awaitable[None]]) -> None:
        """Apply ``change`` in a transaction, riding out short database outages."""
        for attempt in range(1, _RECORD_ATTEMPTS + 1):
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    await change(conn)
                return
            except TRANSIENT_ERRORS:
                if attempt == _RECORD_ATTEMPTS:
                    raise
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))

    def _observe(self, channel: Channel, started: float) -> None:
        self._metrics.send_seconds.labels(channel).observe(time.perf_counter() - started)


def _nid(row: store.Claimed) -> str:
    return outcomes.notification_id(row.dedup_key)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
