"""Carrier journeys of known shape, played through the sla service's own handlers and
sweeper on a FakeClock (no broker: the analytics API and the ops page charts read what
the handlers wrote), and the rollup's consistency check.

Every order is confirmed Monday 2026-11-23 15:00 UTC (10:00 in the seller's New York: ship
by 23:59:59 that day, ``sla.ship_by_missed`` two hours later, Tuesday 06:59:59 UTC). Times
below are UTC; customers are in Chicago (US) unless said otherwise.

- ``j-on-time`` ups: label scan +1 h, first scan +5 h (Mon 20:00), estimate Wed 25th,
  delivered Wed 20:00 (14:00 in Chicago): transit 48 h, label → first scan 4 h, on time;
- ``j-late`` ups: registered +1 h, no label scan, first scan +3 h (Mon 18:00), estimate Wed
  25th, exception Wed 12:00, estimate revised to Fri 27th, delivered Fri 16:00: transit
  94 h, label → first scan 2 h, late against the first estimate;
- ``j-returned`` ups: first scan +4 h, returned to sender Thu 12:00: label → first scan 3 h;
- ``j-attempted`` fedex to Paris (FR): first scan +4 h, failed attempt Thu 10:00,
  delivered Fri 10:00: transit 87 h, label → first scan 3 h, no estimate;
- ``j-details-late`` dhl: its tracking arrives before the order's details (Wed 19:00):
  first scan +4 h, delivered Wed 18:00: transit 47 h, label → first scan 3 h;
- ``j-moving`` ups: first scan +4 h, still in transit (not counted);
- ``j-unshipped`` ups: first scan Thu 12:00 only: ``ship_by_missed`` opened Tuesday,
  escalated Wednesday, resolved Thursday; still in transit.
"""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.sla.journeys import stored
from services.sla.performance import Key, Measure, contribution
from shared.contracts.common import Customer, Item, Seller
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import (
    EventData,
    OrderConfirmed,
    OrderPlaced,
    ShipmentRegistered,
    TrackingEvent,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus as S
from shared.infra.service import Service
from tests.support.clock import FakeClock
from tests.support.world import sla_driver

HOUR = timedelta(hours=1)
T0 = datetime(2026, 11, 23, 15, tzinfo=UTC)
NOW = datetime(2026, 11, 27, 18, tzinfo=UTC)
"""When the seeding ends: Friday 18:00."""
DETECTION = datetime(2026, 11, 24, 6, 59, 59, tzinfo=UTC)
"""Ship-by deadline (Monday 23:59:59 in New York) plus the two-hour detection grace."""


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


CHICAGO = Customer(
    id="c-chicago",
    email="grace@example.org",
    name="Grace",
    time_zone="America/Chicago",
    country="US",
)
PARIS = Customer(
    id="c-paris",
    email="marie@example.fr",
    name="Marie",
    locale="fr",
    time_zone="Europe/Paris",
    country="FR",
)
SELLER = Seller(
    id="s-journeys",
    name="Journeys Refurb",
    email="ops@journeys.example",
    country="US",
    subdivision="NY",
    time_zone="America/New_York",
)
NUMBERS = {"ups": "1Z999AA10123456784", "fedex": "123456789012", "dhl": "1234567890"}


class _Parcel:
    """Events of one order with one shipment, each with the instant it is applied."""

    def __init__(self, order_id: str, carrier: str, customer: Customer = CHICAGO) -> None:
        self.order_id = order_id
        self.ref = {
            "order_id": order_id,
            "shipment_id": f"{order_id}-1",
            "carrier": carrier,
            "tracking_number": NUMBERS[carrier],
        }
        self.customer = customer
        self.steps: list[tuple[datetime, CloudEvent[Any]]] = []

    def _add(self, at: datetime, data: EventData, tag: str) -> "_Parcel":
        event = new_event(data, "tests", event_id=f"{self.order_id}:{tag}", time=at)
        self.steps.append((at, event))
        return self

    def order(self, at: datetime = T0) -> "_Parcel":
        details = {
            "order_id": self.order_id,
            "placed_at": T0 - 5 * 60 * timedelta(seconds=1),
            "customer": self.customer,
            "seller": SELLER,
            "items": [Item(sku="phone-1", title="Phone")],
            "marketplace": "us",
        }
        self._add(at, OrderPlaced(**details), "placed")
        return self._add(at, OrderConfirmed(**details, confirmed_at=T0), "confirmed")

    def registered(self, at: datetime) -> "_Parcel":
        data = ShipmentRegistered(**self.ref, registered_at=at)
        return self._add(at, data, "registered")

    def scan(self, status: S, at: datetime) -> "_Parcel":
        tag = f"scan-{status}-{at:%d%H}"
        data = TrackingEvent(
            **self.ref,
            fingerprint=f"fp-{tag}",
            status=status,
            carrier_code="X",
            description=str(status),
            occurred_at=at,
            observed_at=at,
        )
        return self._add(at, data, tag)

    def status(
        self,
        status: S,
        at: datetime,
        *,
        estimated: date | None = None,
        delivered_at: datetime | None = None,
    ) -> "_Parcel":
        data = TrackingStatusChanged(
            **self.ref,
            previous_status=None,
            status=status,
            carrier_code="X",
            description=str(status),
            occurred_at=at,
            estimated_delivery=estimated,
            delivered_at=delivered_at,
        )
        return self._add(at, data, f"status-{status}-{at:%d%H}")

    def delivered(self, at: datetime) -> "_Parcel":
        return self.scan(S.DELIVERED, at).status(S.DELIVERED, at, delivered_at=at)


def parcels() -> list[_Parcel]:
    wednesday, friday = date(2026, 11, 25), date(2026, 11, 27)
    on_time = _Parcel("j-on-time", "ups").order().registered(T0 + HOUR)
    on_time.scan(S.LABEL_CREATED, T0 + HOUR).scan(S.IN_TRANSIT, T0 + 5 * HOUR)
    on_time.status(S.IN_TRANSIT, T0 + 5 * HOUR, estimated=wednesday).delivered(_at(25, 20))
    late = _Parcel("j-late", "ups").order().registered(T0 + HOUR).scan(S.IN_TRANSIT, T0 + 3 * HOUR)
    late.status(S.IN_TRANSIT, T0 + 3 * HOUR, estimated=wednesday)
    late.scan(S.EXCEPTION, _at(25, 12)).status(S.EXCEPTION, _at(25, 12), estimated=friday)
    late.delivered(_at(27, 16))
    returned = _Parcel("j-returned", "ups").order().registered(T0 + HOUR)
    returned.scan(S.IN_TRANSIT, T0 + 4 * HOUR).status(S.IN_TRANSIT, T0 + 4 * HOUR)
    returned.scan(S.RETURNED_TO_SENDER, _at(26, 12))
    attempted = _Parcel("j-attempted", "fedex", PARIS).order().registered(T0 + HOUR)
    attempted.scan(S.IN_TRANSIT, T0 + 4 * HOUR).scan(S.DELIVERY_ATTEMPTED, _at(26, 10))
    attempted.delivered(_at(27, 10))
    details_late = _Parcel("j-details-late", "dhl").registered(T0 + HOUR)
    details_late.scan(S.IN_TRANSIT, T0 + 4 * HOUR).delivered(_at(25, 18)).order(_at(25, 19))
    moving = _Parcel("j-moving", "ups").order().registered(T0 + HOUR)
    moving.scan(S.IN_TRANSIT, T0 + 4 * HOUR)
    unshipped = _Parcel("j-unshipped", "ups").order().registered(T0 + HOUR)
    unshipped.scan(S.IN_TRANSIT, _at(26, 12))
    return [on_time, late, returned, attempted, details_late, moving, unshipped]


async def play(service: Service, clock: FakeClock) -> None:
    """Apply every parcel's events in time order through the handlers, sweeping at each
    step and once a day (so deadlines fire when due), and leave the clock at :data:`NOW`."""
    driver = sla_driver(service, clock)
    steps: list[tuple[datetime, CloudEvent[Any] | None]] = [
        (at, event) for parcel in parcels() for at, event in parcel.steps
    ]
    steps += [(DETECTION + i * timedelta(days=1), None) for i in range(4)]
    for at, event in sorted(steps, key=lambda step: step[0]):
        clock.set(at)
        if event is not None:
            await driver.apply(event)
        await driver.sweeper.sweep()
    clock.set(NOW)
    await driver.sweeper.sweep()


# --- the rollup's invariant -------------------------------------------------------------


async def rollup_mismatches(conn: asyncpg.Connection) -> dict[Key, tuple[int, int]]:
    """Rollup counts that differ from the sum of the stored journeys' contributions:
    key → (expected, found). Empty when the rollup is consistent."""
    expected: Counter[Key] = Counter()
    for row in await conn.fetch("SELECT * FROM sla.carrier_journeys"):
        expected.update(contribution(stored(row)))
    found: dict[Key, int] = {
        (
            r["day"],
            r["carrier"],
            r["seller_country"],
            r["customer_country"],
            Measure(r["measure"]),
            r["bucket"],
        ): r["shipments"]
        for r in await conn.fetch("SELECT * FROM sla.carrier_performance WHERE shipments <> 0")
    }
    keys = set(expected) | set(found)
    return {
        key: (expected[key], found.get(key, 0))
        for key in sorted(keys)
        if expected[key] != found.get(key, 0)
    }
