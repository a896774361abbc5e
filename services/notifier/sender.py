"""Sender: the background task that sends claimed messages, exactly once by construction.

One round:

1. requeue rows left ``sending`` by a sender that died (counted: the ambiguous window);
2. claim due rows (``FOR UPDATE SKIP LOCKED``), mark them ``sending`` and hold a session
   advisory lock per row on the claiming connection: while that session lives, nobody
   else touches the row; if the process dies, the lock goes with it;
3. send them, ``concurrency`` at a time, claiming more as messages finish (a rolling
   window, until no row is due); record each outcome with its ``notification.*`` event
   in a transaction (outcomes that finish together share one), then release the locks.

The service (:class:`~services.notifier.service.NotifierService`) owns those statements and
transactions; the sender composes, sends and decides when to try again.

A message keeps its place among the ``concurrency`` until its outcome is committed, so a
crash leaves at most that many messages accepted by the server and not recorded: rows
``sending`` with no lock, which the next round anywhere sends again, with the same
Message-ID. That is the one window, at most one duplicate, never a loss.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

import asyncpg

from services.notifier import outcomes, store
from services.notifier.compose import Composer
from services.notifier.headers import InvalidAddress
from services.notifier.metrics import NotifierMetrics
from services.notifier.rendering import PastDeadline
from services.notifier.retry import RetryPolicy
from services.notifier.service import NotifierService, SendOutcome
from services.notifier.transports.base import (
    ChatTransport,
    EmailTransport,
    PermanentSendError,
    TransientSendError,
    redact,
)
from shared.contracts.events import Channel
from shared.infra import db
from shared.infra.clock import Clock
from shared.infra.consumer import TRANSIENT_ERRORS
from shared.infra.crash import crash_point
from shared.infra.db import Connection
from shared.infra.groupcommit import GroupCommit
from shared.infra.periodic import sleep_unless

log = logging.getLogger(__name__)

CRASH_POINT = "notifier.after_smtp_accept"


class Sender:
    """Sends due notifications until stopped; one per process, any number of processes."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        service: NotifierService,
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
        self._service = service
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
        self._changed = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; database outages are waited out."""
        try:
            while not stop.is_set():
                try:
                    await self._serve(stop)
                except TRANSIENT_ERRORS as exc:
                    log.warning("sender interrupted: %s", type(exc).__name__)
                    await sleep_unless(stop, self._poll_interval, wake=self._wake)
                except Exception:
                    log.exception("sender round failed; retrying")
                    await sleep_unless(stop, self._poll_interval, wake=self._wake)
        finally:
            await self._email.close()
            if self._chat is not None:
                await self._chat.close()

    async def _serve(self, stop: asyncio.Event) -> None:
        async with db.session(self._pool) as listener:
            await listener.add_listener(store.CHANNEL, self._on_notify)
            try:
                while not stop.is_set():
                    self._wake.clear()
                    await self._service.recover()
                    await self.send_due(stop)
                    await self.refresh_backlog()
                    await sleep_unless(stop, self._poll_interval, wake=self._wake)
            finally:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(store.CHANNEL, self._on_notify)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()
        self._changed.set()

    async def send_due(self, stop: asyncio.Event | None = None) -> int:
        """Send the due rows, ``concurrency`` at a time, claiming more as they finish, until
        none is due (or ``stop``); returns how many rows it took.

        Rows are claimed only for free places (a claim takes at most ``batch_size`` rows):
        every row a sender holds in ``sending`` is being sent, so a crash leaves at most
        ``concurrency`` rows that may have been delivered, and the recovery's count of them
        (``ambiguous_sends_total``) counts no row that was never handed to the transport.
        """
        async with db.session(self._pool) as session:  # claims, and the in-flight locks
            statements = asyncio.Lock()  # the session runs one statement at a time
            outcomes = GroupCommit[SendOutcome](
                lambda group: self._write(session, statements, group)
            )
            held: set[asyncio.Task[None]] = set()
            busy = 0  # rows taken whose outcome is not committed yet
            taken = 0

            async def one(row: store.Claimed) -> None:
                nonlocal busy
                try:  # the row keeps its place until its outcome is committed
                    await outcomes.record(await self._deliver(row))
                except Exception as exc:
                    log.error("recording a send outcome failed: %s", type(exc).__name__)
                finally:
                    busy -= 1
                    self._changed.set()

            try:
                while stop is None or not stop.is_set():
                    self._changed.clear()
                    room = min(self._batch_size, self._concurrency - busy)
                    if room > 0:
                        async with statements:
                            rows = await self._service.take_due(session, room)
                        taken += len(rows)
                        busy += len(rows)
                        for row in rows:
                            task = asyncio.create_task(one(row))
                            held.add(task)
                            task.add_done_callback(held.discard)
                        if len(rows) == room:
                            continue
                        if not busy:
                            break
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._poll_interval):
                            await self._changed.wait()  # a message done, or new rows
            finally:
                await asyncio.gather(*held, return_exceptions=True)
            return taken

    async def refresh_backlog(self) -> None:
        for state, count in (await self._service.backlog()).items():
            self._metrics.pending.labels(state).set(count)

    async def _deliver(self, row: store.Claimed) -> SendOutcome:
        ids = {"order_id": row.order.order_id, "notification_id": _nid(row), "kind": row.kind}
        channel = row.kind.channel
        if channel is Channel.CHAT and self._chat is None:
            log.info("no chat webhook configured: alert skipped", extra=ids)
            return SendOutcome(row, "skipped")
        started = time.perf_counter()
        try:
            message_id = await self._send(row)
        except (PermanentSendError, InvalidAddress, PastDeadline) as exc:
            self._observe(channel, started)
            log.warning("message refused for good: %s", redact(str(exc)), extra=ids)
            return SendOutcome(row, "failed", error=redact(str(exc)), permanent=True)
        except TransientSendError as exc:
            self._observe(channel, started)
            return self._retry(row, exc.reason, str(exc), exc.retry_after)
        except Exception as exc:
            log.exception("sending failed unexpectedly", extra=ids)
            return self._retry(row, "unexpected", type(exc).__name__, None)
        self._observe(channel, started)
        return SendOutcome(row, "sent", message_id=message_id)

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
            message_id = email.message_id
        crash_point(CRASH_POINT)
        return message_id

    def _retry(
        self, row: store.Claimed, reason: str, error: str, retry_after: float | None
    ) -> SendOutcome:
        now = self._clock.now()
        at = self._policy.next_attempt(
            attempts=row.attempts, created_at=row.created_at, now=now, chance=self._chance()
        )
        if at is None:
            message = f"gave up after {row.attempts} attempts: {redact(error)}"
            log.warning("message given up: %s", message, extra={"notification_id": _nid(row)})
            return SendOutcome(row, "failed", error=message, permanent=False)
        if retry_after is not None:
            at = max(at, now + timedelta(seconds=retry_after))
        self._metrics.retries.labels(row.kind.channel, reason).inc()
        return SendOutcome(row, "retry", error=redact(error), retry_at=at)

    async def _write(
        self, session: Connection, statements: asyncio.Lock, group: Sequence[SendOutcome]
    ) -> None:
        """Record ``group`` and its events in one transaction, then release its rows."""
        await self._service.record(group)
        async with statements:
            await self._service.release(session, [o.row.id for o in group])

    def _observe(self, channel: Channel, started: float) -> None:
        self._metrics.send_seconds.labels(channel).observe(time.perf_counter() - started)


def _nid(row: store.Claimed) -> str:
    return outcomes.notification_id(row.dedup_key)
