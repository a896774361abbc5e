"""The notifier's use cases: an order or a triggering event came in; claimed messages taken
for sending, and each one's outcome recorded.

Consumer side, in the consumer's transaction (beside the inbox row): keep the order, decide
who hears what, claim the messages, so that the order, the trigger and the claimed rows
commit with it or not at all. Nothing is sent there: the sender picks claimed rows up after
the commit. Topics are not ordered with each other: a tracking or SLA event may come before
its order. It is then kept as awaiting its order and routed when the order arrives; the
partition moves on meanwhile.

Sending side, for the sender (:mod:`services.notifier.sender`): rows are taken on the
sender's connection, which holds each row's lock until released; an outcome is recorded
with its ``notification.*`` event in a transaction of its own, and counted once committed.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg

from services.notifier import outcomes, store
from services.notifier.context import MessageContext, OrderInfo
from services.notifier.metrics import NotifierMetrics
from services.notifier.routing import RoutingSettings, route, triggered_kinds
from services.notifier.spec import SPEC
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import OrderConfirmed, OrderPlaced
from shared.infra import outbox
from shared.infra.backoff import backoff
from shared.infra.clock import Clock
from shared.infra.consumer import TRANSIENT_ERRORS
from shared.infra.db import Connection

log = logging.getLogger(__name__)

_RECORD_ATTEMPTS = 5
"""Tries of an outcome's transaction; the waits between them (0.4 s doubling to 3.2 s, whole:
no jitter) ride out a database outage of about 6 s."""


class NotifierService:
    """Applies order and trigger events, and records what the sender did with each row."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        routing: RoutingSettings,
        clock: Clock,
        metrics: NotifierMetrics,
    ) -> None:
        self._pool = pool
        self._routing = routing
        self._clock = clock
        self._metrics = metrics

    # --- consumer side: in the consumer's transaction ------------------------------------

    async def order(self, conn: Connection, event: CloudEvent[Any]) -> None:
        """Remember the order; route the events that were waiting for it."""
        assert isinstance(event.data, OrderPlaced | OrderConfirmed)
        order = OrderInfo.from_event(event.data)
        now = self._clock.now()
        await store.lock_order(conn, order.order_id)
        await store.save_order(conn, order, now)
        waiting = await store.awaiting_triggers(conn, order.order_id)
        for trigger in waiting:
            await self._claim(conn, order, trigger)
        await store.mark_routed(conn, [trigger.id for trigger in waiting], now)

    async def trigger(self, conn: Connection, event: CloudEvent[Any]) -> None:
        """Claim the messages ``event`` triggers, or keep it until its order is known."""
        if not triggered_kinds(event.data, self._routing):
            return
        await store.lock_order(conn, event.subject)
        order = await store.load_order(conn, event.subject)
        await store.save_trigger(conn, event, self._clock.now(), routed=order is not None)
        if order is not None:
            await self._claim(conn, order, event)

    async def _claim(self, conn: Connection, order: OrderInfo, event: CloudEvent[Any]) -> None:
        now = self._clock.now()
        notifications = route(MessageContext(order, event.data), self._routing, now)
        await store.claim(
            conn,
            notifications,
            order_id=order.order_id,
            trigger_event_id=event.id,
            now=now,
        )

    # --- sending side ----------------------------------------------------------------------

    async def recover(self) -> int:
        """Requeue rows a dead sender left mid-send; returns how many (also a metric)."""
        async with self._pool.acquire() as conn, conn.transaction():
            count = await store.recover_abandoned(conn, self._clock.now())
        if count:
            self._metrics.ambiguous.inc(count)
            log.warning("sending again messages a stopped sender may have delivered: %d", count)
        return count

    async def take_due(self, conn: Connection, limit: int) -> list[store.Claimed]:
        """Take up to ``limit`` due rows on ``conn`` (the sender's: its session holds each
        row's lock until :meth:`release`)."""
        async with conn.transaction():
            return await store.claim_due(conn, self._clock.now(), limit)

    async def release(self, conn: Connection, notification_id: int) -> None:
        await store.release(conn, notification_id)

    async def finish(
        self,
        row: store.Claimed,
        state: str,
        *,
        message_id: str | None = None,
        error: str | None = None,
        permanent: bool = True,
    ) -> None:
        """Record ``row``'s final state (sent, failed, skipped) with its event, then count it."""
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
                await outbox.enqueue(conn, SPEC.schema, events)

        await self._record(record)
        self._metrics.notifications.labels(row.kind.value, row.kind.channel, state).inc()

    async def reschedule(self, row: store.Claimed, at: datetime, error: str) -> None:
        """Put ``row`` back in the queue for another attempt at ``at``."""

        async def requeue(conn: Connection) -> None:
            await store.reschedule(conn, row.id, at, error)

        await self._record(requeue)

    async def backlog(self) -> dict[str, int]:
        """Unfinished work: triggers awaiting their order, queued rows, rows in flight."""
        async with self._pool.acquire() as conn:
            return await store.backlog(conn)

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
                await asyncio.sleep(backoff(attempt, 0.4, 5.0, chance=1.0))
