"""Consumers of ``orders.v1`` and ``tracking.v1``: record each fact, then reassess the orders.

A batch of events is applied in one transaction that also claims their ids in the inbox:
the consumer's ``prepare`` (:func:`lock`) locks their orders, each handler records its
fact (order facts and scanned shipments' derived states are gathered, then written at
once), and ``finish`` (:func:`reassessment`) writes those, brings the carrier performance
rollup up to date and reassesses each order once, on all the facts the batch brought; so
the facts, the new SLA state and the events it causes commit together, once. A verdict is
reached on what is known when the batch commits: a parcel whose exception and delivery come
in one batch is judged delivered. Facts are kept whatever order they arrive in (tracking
before the order, a confirmation without the placement); rules that need the order's
details wait for them.
"""

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

from services.sla import journeys, store
from services.sla.calendar import UnknownCalendar
from services.sla.service import SlaService
from services.sla.tracking import derive_state, first_shipped_at, status_description
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import (
    DeliveryDisputed,
    DisputeDocumentsReceived,
    DisputeResolved,
    OrderCancelled,
    OrderConfirmed,
    OrderPaymentDeclined,
    OrderPlaced,
    ShipmentRegistered,
    TrackingEvent,
    TrackingNumberInvalid,
    TrackingStatusChanged,
)
from shared.infra.clock import Clock
from shared.infra.consumer import Finish, Handler, PoisonMessage
from shared.infra.db import Connection

_MOVES_JOURNEYS: Final = frozenset(
    event.event_type
    for event in (
        OrderPlaced,
        OrderConfirmed,
        ShipmentRegistered,
        TrackingEvent,
        TrackingStatusChanged,
        TrackingNumberInvalid,
    )
)
"""Facts that may change how a carrier journey counts (lane, carrier, scans, estimate,
delivery)."""


def by_topic(sla: SlaService) -> dict[str, dict[str, Handler]]:
    """Handlers by topic and event type, for ``Service.subscribe``."""
    handlers = SlaHandlers(sla)
    return {topics.ORDERS: handlers.orders(), topics.TRACKING: handlers.tracking()}


@dataclass
class _Batch:
    """What the handlers of the consumer's transaction on ``conn`` gathered (see ``lock``)."""

    conn: Connection
    orders: store.OrderChanges = field(default_factory=store.OrderChanges)
    states: dict[tuple[str, str], store.DerivedState] = field(default_factory=dict)
    """Each scanned shipment's latest derived state, by ``(order_id, shipment_id)``."""


_BATCH: ContextVar[_Batch | None] = ContextVar("sla_batch", default=None)


def _batch(conn: Connection) -> _Batch:
    batch = _BATCH.get()
    if batch is None or batch.conn is not conn:
        raise RuntimeError("an sla handler ran without the consumer's lock (prepare)")
    return batch


async def lock(conn: Connection, events: Sequence[CloudEvent[Any]]) -> None:
    """The consumers' ``prepare``: lock the orders of ``events`` (a batch: all at once, in
    one order) before their handlers run, so the consumers of both topics never deadlock
    on each other; the batch's order facts and derived tracking states are gathered from
    here on and written by the ``finish``."""
    await store.lock_orders(conn, [event.data.order_id for event in events])
    _BATCH.set(_Batch(conn))


def reassessment(sla: SlaService, clock: Clock) -> Finish:
    """The consumers' ``finish``: once the handlers of a batch recorded their facts (the
    order facts and tracking states they gathered are written here, first), refresh the
    journeys of the orders whose journeys may have moved, then reassess every order of the
    batch once, at ``clock``'s now (the service passes its watermark: verdicts wait for the
    facts before them)."""

    async def reassess(conn: Connection, events: Sequence[CloudEvent[Any]]) -> None:
        batch = _batch(conn)
        await store.save_orders(conn, batch.orders)
        await store.save_tracking_states(conn, batch.states)
        order_ids = list(dict.fromkeys(event.data.order_id for event in events))
        moved = list(dict.fromkeys(e.data.order_id for e in events if e.type in _MOVES_JOURNEYS))
        if moved:
            await journeys.refresh(conn, moved)
        await sla.reassess(conn, order_ids, clock.now())

    return reassess


class SlaHandlers:
    """The handlers of both topics, by event type: each records its fact."""

    def __init__(self, sla: SlaService) -> None:
        self._sla = sla

    def orders(self) -> dict[str, Handler]:
        return {
            OrderPlaced.event_type: self._order,
            OrderConfirmed.event_type: self._order,
            OrderCancelled.event_type: self._cancelled,
            OrderPaymentDeclined.event_type: self._payment_declined,
            ShipmentRegistered.event_type: self._registered,
            DeliveryDisputed.event_type: self._disputed,
            DisputeDocumentsReceived.event_type: self._documents,
            DisputeResolved.event_type: self._resolved,
        }

    def tracking(self) -> dict[str, Handler]:
        return {
            TrackingEvent.event_type: self._scan,
            TrackingStatusChanged.event_type: self._status_changed,
            TrackingNumberInvalid.event_type: self._invalid_number,
        }

    async def _order(
        self, conn: Connection, event: CloudEvent[OrderPlaced] | CloudEvent[OrderConfirmed]
    ) -> None:
        seller = event.data.seller
        try:
            self._sla.calendars.for_seller(
                seller.country, seller.subdivision, event.data.marketplace
            )
        except UnknownCalendar as exc:
            raise PoisonMessage(f"no business calendar for the seller: {exc}") from None
        _batch(conn).orders.order(event.data)

    async def _cancelled(self, conn: Connection, event: CloudEvent[OrderCancelled]) -> None:
        _batch(conn).orders.cancelled(event.data.order_id, event.data.cancelled_at)

    async def _payment_declined(
        self, conn: Connection, event: CloudEvent[OrderPaymentDeclined]
    ) -> None:
        _batch(conn).orders.payment_declined(event.data)

    async def _registered(self, conn: Connection, event: CloudEvent[ShipmentRegistered]) -> None:
        await store.save_registration(conn, event.data)

    async def _disputed(self, conn: Connection, event: CloudEvent[DeliveryDisputed]) -> None:
        await store.save_dispute(conn, event.data)

    async def _documents(
        self, conn: Connection, event: CloudEvent[DisputeDocumentsReceived]
    ) -> None:
        await store.save_documents(conn, event.data)

    async def _resolved(self, conn: Connection, event: CloudEvent[DisputeResolved]) -> None:
        await store.save_resolution(conn, event.data)

    async def _scan(self, conn: Connection, event: CloudEvent[TrackingEvent]) -> None:
        scans = await store.add_scan(conn, event.data)
        if scans is None:
            return  # a scan already known under another event id
        state = derive_state(scans)
        key = (event.data.order_id, event.data.shipment_id)
        _batch(conn).states[key] = store.DerivedState(  # the latest: the longest history
            state,
            first_shipped_at(scans, self._sla.rules),
            status_description(scans, state.status),
        )

    async def _status_changed(
        self, conn: Connection, event: CloudEvent[TrackingStatusChanged]
    ) -> None:
        await store.save_status_change(conn, event.data, event.time)

    async def _invalid_number(
        self, conn: Connection, event: CloudEvent[TrackingNumberInvalid]
    ) -> None:
        await store.save_invalid_number(conn, event.data)
