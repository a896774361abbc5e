"""A consumer batch gathers its order facts per order, and its scanned shipments' derived
states, and writes them at once: each order and shipment ends as writing its events one
after another would leave it (the latest details; the first confirmation, cancellation and
payment decline, one stored before kept; the state derived from every scan so far)."""

from datetime import timedelta
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry

from services.sla import handlers as sla_handlers
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.rules import SlaRules
from services.sla.service import SlaService
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import EventData, OrderConfirmed, OrderPaymentDeclined, TrackingEvent
from shared.contracts.statuses import TrackingStatus
from shared.infra import aftercommit
from tests.support.clock import FakeClock
from tests.support.events import PLACED_AT, cancelled, order_placed

HOUR = timedelta(hours=1)


def _event(data: EventData, n: int) -> CloudEvent[Any]:
    return new_event(data, "tests", event_id=f"{data.order_id}-{data.event_type}-{n}")


def _confirmed(order_id: str, hours: int, seller_id: str) -> CloudEvent[Any]:
    placed = order_placed(order_id)
    seller = placed.seller.model_copy(update={"id": seller_id})
    data = OrderConfirmed(
        **placed.model_dump(exclude={"seller"}),
        seller=seller,
        confirmed_at=PLACED_AT + hours * HOUR,
    )
    return _event(data, hours)


def _declined(order_id: str, hours: int) -> CloudEvent[Any]:
    data = OrderPaymentDeclined(
        order_id=order_id,
        declined_at=PLACED_AT + hours * HOUR,
        reason_code="insufficient_funds",
        reason="Insufficient funds",
    )
    return _event(data, hours)


def _cancelled(order_id: str, hours: int) -> CloudEvent[Any]:
    event = cancelled(order_id, hours)
    data = event.data.model_copy(update={"cancelled_at": PLACED_AT + hours * HOUR})
    return new_event(data, "tests", event_id=event.id)


async def _apply(pool: asyncpg.Pool, events: list[CloudEvent[Any]]) -> None:
    """As the consumer applies a batch (prepare, handlers, finish in one transaction),
    without its fallback to one event at a time, which would hide a batch that fails."""
    sla = SlaService(
        rules=SlaRules(), calendars=Calendars(), metrics=SlaMetrics(CollectorRegistry())
    )
    every = {t: h for by_type in sla_handlers.by_topic(sla).values() for t, h in by_type.items()}
    async with pool.acquire() as conn, aftercommit.collecting(), conn.transaction():
        await sla_handlers.lock(conn, events)
        for event in events:
            await every[event.type](conn, event)
        await sla_handlers.reassessment(sla, FakeClock(PLACED_AT + 100 * HOUR))(conn, events)


async def _order(pool: asyncpg.Pool, order_id: str) -> dict[str, Any]:
    row = await pool.fetchrow(
        "SELECT seller_id, placed_at, confirmed_at, cancelled_at, payment_declined_at"
        " FROM orders WHERE order_id = $1",
        order_id,
    )
    assert row is not None
    return dict(row)


async def test_a_batch_leaves_each_order_as_its_events_one_after_another_would(
    sla_pool: asyncpg.Pool,
) -> None:
    await _apply(
        sla_pool,
        [
            _event(order_placed("o-1"), 0),
            _confirmed("o-1", 1, "s-first"),
            _cancelled("o-2", 2),
            _confirmed("o-1", 3, "s-latest"),
            _declined("o-2", 4),
            _cancelled("o-1", 5),
            _cancelled("o-1", 6),
            _declined("o-2", 7),
        ],
    )
    assert await _order(sla_pool, "o-1") == {
        "seller_id": "s-latest",
        "placed_at": PLACED_AT,
        "confirmed_at": PLACED_AT + 1 * HOUR,
        "cancelled_at": PLACED_AT + 5 * HOUR,
        "payment_declined_at": None,
    }
    assert await _order(sla_pool, "o-2") == {
        "seller_id": None,
        "placed_at": None,
        "confirmed_at": None,
        "cancelled_at": PLACED_AT + 2 * HOUR,
        "payment_declined_at": PLACED_AT + 4 * HOUR,
    }


async def test_a_later_batch_keeps_the_first_moments_stored_and_takes_the_latest_details(
    sla_pool: asyncpg.Pool,
) -> None:
    await _apply(sla_pool, [_confirmed("o-3", 1, "s-first"), _cancelled("o-3", 2)])
    await _apply(
        sla_pool, [_confirmed("o-3", 3, "s-latest"), _cancelled("o-3", 4), _declined("o-3", 5)]
    )
    assert await _order(sla_pool, "o-3") == {
        "seller_id": "s-latest",
        "placed_at": PLACED_AT,
        "confirmed_at": PLACED_AT + 1 * HOUR,
        "cancelled_at": PLACED_AT + 2 * HOUR,
        "payment_declined_at": PLACED_AT + 5 * HOUR,
    }


def _scan(shipment_id: str, status: TrackingStatus, hours: int, n: int = 0) -> CloudEvent[Any]:
    data = TrackingEvent(
        order_id="o-4",
        shipment_id=shipment_id,
        carrier="ups",
        tracking_number="1Z5R89390357567127",
        fingerprint=f"fp-{shipment_id}-{status}-{hours}",
        status=status,
        carrier_code=status.value,
        description=f"{status} at {hours}",
        occurred_at=PLACED_AT + hours * HOUR,
        observed_at=PLACED_AT + 20 * HOUR,
    )
    return _event(data, 100 * hours + n)


async def _shipment(pool: asyncpg.Pool, shipment_id: str) -> dict[str, Any]:
    row = await pool.fetchrow(
        "SELECT status, status_since, last_scan_at, shipped_at, status_description"
        " FROM shipments WHERE order_id = 'o-4' AND shipment_id = $1",
        shipment_id,
    )
    assert row is not None
    return dict(row)


async def test_a_batch_leaves_each_scanned_shipment_in_the_state_of_all_its_scans(
    sla_pool: asyncpg.Pool,
) -> None:
    await _apply(
        sla_pool,
        [
            _scan("sh-1", TrackingStatus.IN_TRANSIT, 3),
            _scan("sh-2", TrackingStatus.LABEL_CREATED, 1),
            _scan("sh-1", TrackingStatus.OUT_FOR_DELIVERY, 6),
            _scan("sh-1", TrackingStatus.LABEL_CREATED, 1),  # late, and older than the others
            _scan("sh-1", TrackingStatus.OUT_FOR_DELIVERY, 6, n=1),  # known: changes nothing
        ],
    )
    assert await _shipment(sla_pool, "sh-1") == {
        "status": "out_for_delivery",
        "status_since": PLACED_AT + 6 * HOUR,
        "last_scan_at": PLACED_AT + 6 * HOUR,
        "shipped_at": PLACED_AT + 3 * HOUR,
        "status_description": "out_for_delivery at 6",
    }
    assert await _shipment(sla_pool, "sh-2") == {
        "status": "label_created",
        "status_since": PLACED_AT + 1 * HOUR,
        "last_scan_at": PLACED_AT + 1 * HOUR,
        "shipped_at": None,
        "status_description": "label_created at 1",
    }
    await _apply(sla_pool, [_scan("sh-2", TrackingStatus.IN_TRANSIT, 2)])
    assert (await _shipment(sla_pool, "sh-2"))["shipped_at"] == PLACED_AT + 2 * HOUR
