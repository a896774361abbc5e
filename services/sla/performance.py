"""Carrier performance: how each carrier's journeys ended and how long they took. Pure.

A shipment's journey ends when the parcel is delivered or returned to the sender. Each
ended journey counts once, on the UTC day it ended, under its carrier and lane (seller
country → customer country):

- transit: first carrier scan (in-transit class or later) → delivery, of delivered journeys;
- first scan: label (the carrier's label-created scan, or the tracking number's
  registration when earlier or alone) → first carrier scan;
- on time: delivered by the end of the carrier's **first** estimated day in the customer's
  time zone, of the delivered journeys that had an estimate;
- exception, delivery attempt, return to sender: the journey had such a scan.

Durations go into logarithmic buckets (:data:`BUCKETS_PER_DOUBLING` per doubling above one
minute), so the percentiles of any window merge from per-day counts, whatever the number
of shipments; a percentile is estimated by the middle of the bucket holding the exact
(nearest-rank) value, so it is within :data:`RELATIVE_ERROR` of it.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.sla.scorecard import Ratio
from shared.contracts.statuses import TrackingStatus, is_shipped

BUCKETS_PER_DOUBLING = 16
MINUTE = 60.0
"""Bucket 0 holds durations under a minute; bucket k ≥ 1 holds
[MINUTE·2^((k-1)/B), MINUTE·2^(k/B)) seconds."""
RELATIVE_ERROR = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1
"""Widest relative gap between a percentile estimate and the exact value of a duration of a
minute or more: half a bucket, about 2.2 %."""
UNKNOWN_COUNTRY = ""
"""The lane's country while the order's details have not arrived."""


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETURNED = "returned"


class Measure(StrEnum):
    """What a rollup count counts; duration measures are histograms, the others use bucket 0."""

    SHIPMENTS = "shipments"
    DELIVERED = "delivered"
    RETURNED = "returned"
    EXCEPTION = "exception"
    ATTEMPTED = "attempted"
    ESTIMATED = "estimated"
    """Delivered with a first estimate: judged on time or late."""
    ON_TIME = "on_time"
    TRANSIT = "transit"
    FIRST_SCAN = "first_scan"


@dataclass(frozen=True, slots=True)
class ShipmentHistory:
    """What the rules read of one shipment and its order."""

    carrier: str
    seller_country: str | None
    customer_country: str | None
    customer_time_zone: str | None
    registered_at: datetime | None
    first_estimated_delivery: date | None
    delivered_at: datetime | None
    """The carrier's reported delivery time (``tracking.status_changed``)."""
    first_scans: Mapping[TrackingStatus, datetime]
    """When the earliest scan of each status happened."""


@dataclass(frozen=True, slots=True)
class Journey:
    """An ended journey, as it counts in the rollup."""

    ended_on: date
    carrier: str
    seller_country: str
    customer_country: str
    outcome: Outcome
    exception: bool
    attempted: bool
    on_time: bool | None
    """None: returned, or no first estimate."""
    transit_seconds: float | None
    first_scan_seconds: float | None


def _duration(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from ``start`` to ``end``; None if either is unknown or they are out of order."""
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


def journey(history: ShipmentHistory) -> Journey | None:
    """The shipment's journey, or None while it has not ended."""
    scans = history.first_scans
    returned_at = scans.get(TrackingStatus.RETURNED_TO_SENDER)
    delivered_at = history.delivered_at or scans.get(TrackingStatus.DELIVERED)
    ended_at = returned_at or delivered_at
    if ended_at is None:
        return None
    outcome = Outcome.RETURNED if returned_at else Outcome.DELIVERED
    first_scan_at = min((at for status, at in scans.items() if is_shipped(status)), default=None)
    labels = [t for t in (scans.get(TrackingStatus.LABEL_CREATED), history.registered_at) if t]
    on_time = None
    estimate = history.first_estimated_delivery
    if outcome is Outcome.DELIVERED and estimate is not None and delivered_at is not None:
        zone = ZoneInfo(history.customer_time_zone) if history.customer_time_zone else UTC
        on_time = delivered_at.astimezone(zone).date() <= estimate
    return Journey(
        ended_on=ended_at.astimezone(UTC).date(),
        carrier=history.carrier,
        seller_country=history.seller_country or UNKNOWN_COUNTRY,
        customer_country=history.customer_country or UNKNOWN_COUNTRY,
        outcome=outcome,
        exception=TrackingStatus.EXCEPTION in scans,
        attempted=TrackingStatus.DELIVERY_ATTEMPTED in scans,
        on_time=on_time,
        transit_seconds=_duration(first_scan_at, delivered_at)
        if outcome is Outcome.DELIVERED
        else None,
        first_scan_seconds=_duration(min(labels, default=None), first_scan_at),
    )


# --- buckets and percentiles ------------------------------------------------------------


def bucket_of(seconds: float) -> int:
    """The bucket a duration falls in."""
    if seconds < MINUTE:
        return 0
    return 1 + math.floor(math.log2(seconds / MINUTE) * BUCKETS_PER_DOUBLING)


def bounds(bucket: int) -> tuple[float, float]:
    """The durations (seconds) of ``bucket``: from the first, up to the second."""
    if bucket == 0:
        return 0.0, MINUTE
    return (
        MINUTE * 2 ** ((bucket - 1) / BUCKETS_PER_DOUBLING),
        MINUTE * 2 ** (bucket / BUCKETS_PER_DOUBLING),
    )


def percentile(histogram: Mapping[int, int], q: float) -> float | None:
    """The ``q``-quantile (0 < q ≤ 1) of a bucket histogram: the geometric middle of the
    bucket holding the nearest-rank value (the ⌈q·n⌉-th smallest); None when it is empty."""
    if not 0 < q <= 1:
        raise ValueError(f"q must be in (0, 1], got {q}")
    filled = sorted((bucket, count) for bucket, count in histogram.items() if count > 0)
    rank = math.ceil(q * sum(count for _, count in filled))
    seen = 0
    for bucket, count in filled:
        seen += count
        if seen >= rank:
            return middle(bucket)
    return None


def middle(bucket: int) -> float:
    """The duration that stands for ``bucket``: within :data:`RELATIVE_ERROR` of any in it
    (bucket 0: half a minute, within 30 seconds)."""
    low, high = bounds(bucket)
    return math.sqrt(low * high) if bucket else MINUTE / 2


# --- rollup keys ------------------------------------------------------------------------

Key = tuple[date, str, str, str, Measure, int]
"""(day, carrier, seller country, customer country, measure, bucket): one rollup count."""


def contribution(j: Journey) -> Counter[Key]:
    """The rollup counts one journey adds."""
    group = (j.ended_on, j.carrier, j.seller_country, j.customer_country)
    measures = [
        (Measure.SHIPMENTS, 0),
        (Measure.DELIVERED if j.outcome is Outcome.DELIVERED else Measure.RETURNED, 0),
    ]
    measures += [(Measure.EXCEPTION, 0)] if j.exception else []
    measures += [(Measure.ATTEMPTED, 0)] if j.attempted else []
    if j.on_time is not None:
        measures += [(Measure.ESTIMATED, 0)] + ([(Measure.ON_TIME, 0)] if j.on_time else [])
    if j.transit_seconds is not None:
        measures.append((Measure.TRANSIT, bucket_of(j.transit_seconds)))
    if j.first_scan_seconds is not None:
        measures.append((Measure.FIRST_SCAN, bucket_of(j.first_scan_seconds)))
    return Counter((*group, measure, bucket) for measure, bucket in measures)


def change(old: Journey | None, new: Journey | None) -> dict[Key, int]:
    """What replacing ``old``'s contribution by ``new``'s adds to each count (no zeros),
    in key order (so concurrent writers lock rollup rows in one order)."""
    delta: Counter[Key] = Counter()
    if new is not None:
        delta.update(contribution(new))
    if old is not None:
        delta.subtract(contribution(old))
    return {key: delta[key] for key in sorted(delta) if delta[key]}


# --- summaries --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Durations:
    p50: float | None
    p90: float | None
    samples: int


@dataclass(frozen=True, slots=True)
class Performance:
    """What one carrier (or carrier and lane) achieved over a window."""

    shipments: int
    transit: Durations
    first_scan: Durations
    on_time: Ratio
    exception: Ratio
    attempt: Ratio
    returned: Ratio


Counts = Mapping[str, Mapping[int, int]]
"""Rollup counts of one group summed over a window: measure → bucket → shipments."""


def _durations(counts: Counts, measure: Measure) -> Durations:
    histogram = counts.get(measure, {})
    return Durations(
        percentile(histogram, 0.5), percentile(histogram, 0.9), sum(histogram.values())
    )


def summarize(counts: Counts) -> Performance:
    def n(measure: Measure) -> int:
        return counts.get(measure, {}).get(0, 0)

    shipments = n(Measure.SHIPMENTS)
    return Performance(
        shipments=shipments,
        transit=_durations(counts, Measure.TRANSIT),
        first_scan=_durations(counts, Measure.FIRST_SCAN),
        on_time=Ratio(n(Measure.ON_TIME), n(Measure.ESTIMATED)),
        exception=Ratio(n(Measure.EXCEPTION), shipments),
        attempt=Ratio(n(Measure.ATTEMPTED), shipments),
        returned=Ratio(n(Measure.RETURNED), shipments),
    )


Lane = tuple[str, str, str]
"""(carrier, seller country, customer country)."""


@dataclass(frozen=True, slots=True)
class Breakdown:
    carriers: dict[str, Performance]
    lanes: dict[Lane, Performance]


def breakdown(rows: Iterable[tuple[Lane, str, int, int]]) -> Breakdown:
    """Per carrier and per carrier and lane, from window sums of the rollup
    ``(lane, measure, bucket, shipments)``; both in key order."""
    lanes: defaultdict[Lane, defaultdict[str, Counter[int]]] = defaultdict(
        lambda: defaultdict(Counter)
    )
    for lane, measure, bucket, shipments in rows:
        lanes[lane][measure][bucket] += shipments
    carriers: defaultdict[str, defaultdict[str, Counter[int]]] = defaultdict(
        lambda: defaultdict(Counter)
    )
    for lane, measures in lanes.items():
        for measure, histogram in measures.items():
            carriers[lane[0]][measure].update(histogram)
    return Breakdown(
        carriers={c: summarize(carriers[c]) for c in sorted(carriers)},
        lanes={lane: summarize(lanes[lane]) for lane in sorted(lanes)},
    )
