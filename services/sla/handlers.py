"""Consumers of ``orders.v1`` and ``tracking.v1``: record the fact, then reassess the order.

Each handler runs inside the transaction that also claims the event id in the inbox, so
the fact, the new SLA state, the events it causes and the carrier performance rollup
commit together, once; the consumer's ``prepare`` (:meth:`SlaHandlers.lock`) has locked the
order first. Facts are
kept whatever order they arrive in (tracking before the order, a confirmation without the
placement); rules that need the order's details wait for them.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from services.sla import journeys, store
from services.sla.calendar import UnknownCalendar
from services.sla.service import SlaService
from services.sla.tracking import derive_state, first_shipped_at, status_description
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
from shared.infra.consumer import Handler, PoisonMessage
from shared.infra.db import Connection

_Record = Callable[[Connection, Any], Awaitable[None]]
"""Records one event's fact; typed by each recorder for its own event type."""


class SlaHandlers:
    """The handlers of both topics, by event type; orders are reassessed at ``clock``'s now
    (the service passes its watermark: verdicts wait for the facts before them)."""

    def __init__(self, sla: SlaService, clock: Clock) -> None:
        self._sla = sla
        self._clock = clock

    async def lock(self, conn: Connection, events: Sequence[CloudEvent[Any]]) -> None:
        """Lock the orders of ``events`` (a batch: all at once, in one order), before their
        handlers run: the consumers of both topics then never deadlock on each other."""
        await store.lock_orders(conn, [event.data.order_id for event in events])

    def orders(self) -> dict[str, Handler]:
        return {
            OrderPlaced.event_type: self._handler(self._order, moves_journeys=True),
            OrderConfirmed.event_type: self._handler(self._order, moves_journeys=True),
            OrderCancelled.event_type: self._handler(self._cancelled),
            OrderPaymentDeclined.event_type: self._handler(self._payment_declined),
            ShipmentRegistered.event_type: self._handler(self._registered, moves_journeys=True),
            DeliveryDisputed.event_type: self._handler(self._disputed),
            DisputeDocumentsReceived.event_type: self._handler(self._documents),
            DisputeResolved.event_type: self._handler(self._resolved),
        }

    def tracking(self) -> dict[str, Handler]:
        return {
            TrackingEvent.event_type: self._handler(self._scan, moves_journeys=True),
            TrackingStatusChanged.event_type: self._handler(
                self._status_changed, moves_journeys=True
            ),
            TrackingNumberInvalid.event_type: self._handler(
                self._invalid_number, moves_journeys=True
            ),
        }

    def _handler(self, record: _Record, *, moves_journeys: bool = False) -> Handler:
        """Record, reassess; ``moves_journeys``: the fact may change how a carrier journey
        counts (lane, carrier, scans, estimate, delivery)."""

        async def handle(conn: Connection, event: CloudEvent[Any]) -> None:
            await record(conn, event)
            if moves_journeys:
                await journeys.refresh(conn, event.data.order_id)
            await self._sla.reassess(conn, [event.data.order_id], self._clock.now())

        return handle

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
        await store.save_order(conn, event.data)

    async def _cancelled(self, conn: Connection, event: CloudEvent[OrderCancelled]) -> None:
        await store.save_cancellation(conn, event.data.order_id, event.data.cancelled_at)

    async def _payment_declined(
        self, conn: Connection, event: CloudEvent[OrderPaymentDeclined]
    ) -> None:
        await store.save_payment_declined(conn, event.data)

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
        await store.save_tracking_state(
            conn,
            event.data.order_id,
            event.data.shipment_id,
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
