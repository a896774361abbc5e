"""The seller scorecard: four rates over a trailing window, computed from per-order facts.

Pure: the caller loads :class:`OrderRecord` rows and passes the clock's ``now``.

- late shipment rate: of the orders whose ship-by deadline fell in the window, those the
  carrier had not scanned as moving (the order's ``shipped_at``) by the deadline;
- valid tracking rate: of the orders whose tracking number was registered in the window,
  those with a number the carrier accepted and scanned;
- on-time delivery rate: of the orders whose carrier's first estimated delivery day fell
  in the window and is over (or that were delivered), those delivered by the end of that
  day in the customer's time zone;
- dispute rate: of the orders delivered in the window, those reported delivered but not
  received.

A rate with no order to judge is ``None``. Cancelled orders are not counted.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

WINDOWS = (7, 30)
"""Window lengths in days."""


class Rate(StrEnum):
    LATE_SHIPMENT = "late_shipment"
    VALID_TRACKING = "valid_tracking"
    ON_TIME_DELIVERY = "on_time_delivery"
    DISPUTE = "dispute"


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """What the scorecard needs of one order (its shipments folded together)."""

    seller_id: str
    customer_time_zone: str
    ship_by_deadline: datetime | None = None
    shipped_at: datetime | None = None
    registered_at: datetime | None = None
    tracking_valid: bool = False
    """Some shipment's number was not found invalid and has a carrier scan."""
    first_estimated_delivery: date | None = None
    delivered_at: datetime | None = None
    disputed: bool = False


@dataclass(frozen=True, slots=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True, slots=True)
class Window:
    days: int
    ratios: dict[Rate, Ratio]


def _within(when: datetime | None, start: datetime, now: datetime) -> bool:
    return when is not None and start < when <= now


def window(records: Iterable[OrderRecord], now: datetime, days: int) -> Window:
    """The four ratios of ``records`` over the ``days`` before ``now``."""
    start = now - timedelta(days=days)
    counts = {rate: [0, 0] for rate in Rate}

    def count(rate: Rate, good: bool) -> None:
        counts[rate][0] += good
        counts[rate][1] += 1

    for r in records:
        if r.ship_by_deadline is not None and _within(r.ship_by_deadline, start, now):
            count(Rate.LATE_SHIPMENT, r.shipped_at is None or r.shipped_at > r.ship_by_deadline)
        if _within(r.registered_at, start, now):
            count(Rate.VALID_TRACKING, r.tracking_valid)
        if r.first_estimated_delivery is not None:
            zone = ZoneInfo(r.customer_time_zone)
            today = now.astimezone(zone).date()
            estimate = r.first_estimated_delivery
            judged = r.delivered_at is not None or estimate < today
            if start.astimezone(zone).date() < estimate <= today and judged:
                delivered = r.delivered_at.astimezone(zone).date() if r.delivered_at else None
                count(Rate.ON_TIME_DELIVERY, delivered is not None and delivered <= estimate)
        if _within(r.delivered_at, start, now):
            count(Rate.DISPUTE, r.disputed)
    return Window(days, {rate: Ratio(n, d) for rate, (n, d) in counts.items()})


def scorecard(records: Iterable[OrderRecord], now: datetime) -> list[Window]:
    """The ratios over each of :data:`WINDOWS`."""
    kept = list(records)
    return [window(kept, now, days) for days in WINDOWS]
