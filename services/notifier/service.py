"""The notifier's use cases: an order or a triggering event came in; claimed messages taken
for sending, and each one's outcome recorded.

Consumer side, in the consumer's transaction (beside the inbox row): keep the order, decide
who hears what, claim the messages, so that the order, the trigger and the claimed rows
commit with it or not at all. Nothing is sent there: the sender picks claimed rows up after
the commit. Topics are not ordered with each other: a tracking or SLA event may come before
its order. It is then kept as awaiting its order and routed when the order arrives; the
partition moves on meanwhile.

Sending side, for the sender (:mod:`services.notifier.sender`): rows are taken in one
statement on the sender's connection, which holds each row's lock until released; outcomes
are recorded with their ``notification.*`` events in one transaction (those finishing
together share it), and counted once committed.
"""

import asyncio
import logging
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import asyncpg

from services.notifier import outcomes, store
from services.notifier.context import MessageContext, OrderInfo
from services.notifier.metrics import NotifierMetrics
from services.notifier.routing import RoutingSettings, route, triggered_kinds
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import OrderConfirmed, OrderPlaced
from shared.infra.backoff import backoff
from shared.infra.clock import Clock
from shared.infra.consumer import TRANSIENT_ERRORS
from shared.infra.db import Connection

log = logging.getLogger(__name__)

_RECORD_ATTEMPTS = 5
"""Tries of an outcome's transaction; the waits between them (0.4 s doubling to 3.2 s, whole:
no jitter) ride out a database outage of about 6 s."""


@dataclass
class _Batch:
    """What the consumer's transaction on ``conn`` knows and has decided (see ``lock``)."""

    conn: Connection
    orders: dict[str, OrderInfo]
    """The orders the batch's triggers need: as stored, then as the batch brings them."""
    waiting: dict[str, list[CloudEvent[Any]]]
    """Triggers awaiting their order, oldest first: stored, then kept by the batch."""
    saved: dict[str, OrderInfo] = field(default_factory=dict)
    """The orders the batch brings (each one's latest), written by ``write``..."""
    kept: dict[str, store.KeptTrigger] = field(default_factory=dict)
    """...with the triggering events it brings, by event id..."""
    routed: list[str] = field(default_factory=list)
    """...the stored events awaiting their order that it routed..."""
    claims: list[store.Claim] = field(default_factory=list)
    """...and the messages it claims, in the order decided."""


_BATCH: ContextVar[_Batch | None] = ContextVar("notifier_batch", default=None)


@dataclass(frozen=True)
class SendOutcome:
    """How a send ended: a final state (sent, failed, skipped), or a retry at ``retry_at``."""

    row: store.Claimed
    state: str
    message_id: str | None = None
    error: str | None = None
    permanent: bool = True
    retry_at: datetime | None = None


def _batch(conn: Connection) -> _Batch:
    """What the consumer transaction on ``conn`` knows, set by ``lock``."""
    batch = _BATCH.get()
    if batch is None or batch.conn is not conn:
        raise RuntimeError("a notifier handler ran without the consumer's lock (prepare)")
    return batch


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

    async def lock(self, conn: Connection, events: Sequence[CloudEvent[Any]]) -> None:
        """The consumers' ``prepare``: lock the orders of ``events`` (a batch: all at once, in
        key order) before their handlers run, so an order and its triggers on two topics never
        miss each other, and consumers locking overlapping batches never deadlock; then read
        the orders the batch's triggers need, and the triggers awaiting the orders it brings.
        Only the handlers, under these locks, gather orders, triggers and claims (``write``
        writes them): what is not read here is unknown until the batch itself brings it."""
        await store.lock_orders(conn, [event.subject for event in events])
        wanted = [e.subject for e in events if triggered_kinds(e.data, self._routing)]
        brought = [e.subject for e in events if isinstance(e.data, OrderPlaced | OrderConfirmed)]
        orders = await store.known_orders(conn, wanted) if wanted else {}
        waiting = await store.waiting_triggers(conn, brought) if brought else {}
        _BATCH.set(_Batch(conn, orders, waiting))

    async def order(self, conn: Connection, event: CloudEvent[Any]) -> None:
        """Remember the (locked) order; route the events that were waiting for it."""
        assert isinstance(event.data, OrderPlaced | OrderConfirmed)
        batch = _batch(conn)
        order = OrderInfo.from_event(event.data)
        batch.orders[order.order_id] = batch.saved[order.order_id] = order
        now = self._clock.now()
        for trigger in batch.waiting.pop(order.order_id, []):
            self._claim(batch, order, trigger, now)
            kept = batch.kept.get(trigger.id)
            if kept is None:
                batch.routed.append(trigger.id)
            else:  # kept by this batch: it is written routed
                batch.kept[trigger.id] = replace(kept, routed_at=now)

    async def trigger(self, conn: Connection, event: CloudEvent[Any]) -> None:
        """Claim the messages ``event`` triggers, or keep it until its (locked) order is
        known."""
        if not triggered_kinds(event.data, self._routing):
            return
        batch = _batch(conn)
        order = batch.orders.get(event.subject)
        now = self._clock.now()
        batch.kept[event.id] = store.KeptTrigger(event, now, None if order is None else now)
        if order is None:
            batch.waiting.setdefault(event.subject, []).append(event)
        else:
            self._claim(batch, order, event, now)

    async def write(self, conn: Connection, events: Sequence[CloudEvent[Any]]) -> None:
        """The consumers' ``finish``: write what the batch's handlers decided (its triggering
        events, routed or awaiting their order, with its first claim of each order; its
        further claims; the stored events it routed; its orders): one statement each."""
        batch = _batch(conn)
        now = self._clock.now()
        await store.claim(conn, batch.claims, list(batch.kept.values()))
        if batch.routed:
            await store.mark_routed(conn, batch.routed, now)
        await store.save_orders(conn, list(batch.saved.values()), now)

    def _claim(
        self, batch: _Batch, order: OrderInfo, event: CloudEvent[Any], now: datetime
    ) -> None:
        notifications = route(MessageContext(order, event.data), self._routing, now)
        batch.claims += (store.Claim(n, event, now) for n in notifications)

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
        row's lock until :meth:`release`), in one statement."""
        return await store.claim_due(conn, self._clock.now(), limit)

    async def release(self, conn: Connection, notification_ids: Sequence[int]) -> None:
        """Drop the locks ``conn`` holds on rows whose outcomes are recorded."""
        await store.release(conn, notification_ids)

    async def record(self, results: Sequence[SendOutcome]) -> None:
        """Record outcomes in one statement: final states with their events, retries back
        in the queue, riding out short database outages; then count the final ones."""
        now = self._clock.now()
        final = [o for o in results if o.retry_at is None]
        retries = [(o.row.id, o.retry_at, o.error or "") for o in results if o.retry_at]
        events = [(o.row.id, _event(o, now)) for o in final if o.state != "skipped"]
        for attempt in range(1, _RECORD_ATTEMPTS + 1):
            try:
                async with self._pool.acquire() as conn:
                    await store.record(
                        conn, [(o.row.id, o.state, o.error) for o in final], retries, events, now
                    )
                break
            except TRANSIENT_ERRORS:
                if attempt == _RECORD_ATTEMPTS:
                    raise
                await asyncio.sleep(backoff(attempt, 0.4, 5.0, chance=1.0))
        for o in final:
            self._metrics.notifications.labels(o.row.kind.value, o.row.kind.channel, o.state).inc()

    async def backlog(self) -> dict[str, int]:
        """Unfinished work: triggers awaiting their order, queued rows, rows in flight."""
        async with self._pool.acquire() as conn:
            return await store.backlog(conn)


def _event(outcome: SendOutcome, now: datetime) -> CloudEvent[Any]:
    """The ``notification.sent`` or ``notification.failed`` event of a final outcome."""
    row = outcome.row
    common: dict[str, Any] = {
        "order_id": row.order.order_id,
        "trigger_id": row.trigger.id,
        "at": now,
    }
    if outcome.state == "sent":
        assert outcome.message_id is not None
        return outcomes.sent(row.kind, row.dedup_key, message_id=outcome.message_id, **common)
    assert outcome.error is not None
    return outcomes.failed(
        row.kind, row.dedup_key, error=outcome.error, permanent=outcome.permanent, **common
    )
