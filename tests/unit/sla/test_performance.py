"""Carrier performance rules (services/sla/performance.py): journeys, buckets, percentiles,
rollup contributions."""

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from services.sla.performance import (
    RELATIVE_ERROR,
    Measure,
    Outcome,
    ShipmentHistory,
    bounds,
    breakdown,
    bucket_of,
    change,
    contribution,
    journey,
    percentile,
)
from shared.contracts.statuses import TrackingStatus as S

T0 = datetime(2026, 11, 23, 15, tzinfo=UTC)
H = timedelta(hours=1)


def history(**changes: object) -> ShipmentHistory:
    base: dict[str, object] = {
        "carrier": "ups",
        "seller_country": "US",
        "customer_country": "FR",
        "customer_time_zone": "Europe/Paris",
        "registered_at": T0,
        "first_estimated_delivery": date(2026, 11, 26),
        "delivered_at": None,
        "first_scans": {S.LABEL_CREATED: T0 - H, S.IN_TRANSIT: T0 + 5 * H},
    }
    return ShipmentHistory(**(base | changes))


def test_a_journey_in_transit_has_not_ended() -> None:
    assert journey(history()) is None


def test_a_delivered_journey_measures_transit_and_time_to_first_scan() -> None:
    delivered = T0 + 53 * H
    j = journey(history(delivered_at=delivered))
    assert j is not None
    assert (j.outcome, j.ended_on, j.carrier) == (Outcome.DELIVERED, delivered.date(), "ups")
    assert (j.seller_country, j.customer_country) == ("US", "FR")
    assert j.transit_seconds == 48 * 3600  # from the first in-transit scan
    assert j.first_scan_seconds == 6 * 3600  # from the label scan, earlier than registration
    assert (j.exception, j.attempted) == (False, False)


def test_the_label_is_the_registration_when_the_carrier_shows_no_label_scan() -> None:
    scans = {S.IN_TRANSIT: T0 + 2 * H, S.DELIVERED: T0 + 30 * H}
    j = journey(history(first_scans=scans))
    assert j is not None and j.first_scan_seconds == 2 * 3600
    # the delivered scan ends the journey when no delivery time was reported
    assert j.transit_seconds == 28 * 3600


def test_the_reported_delivery_time_wins_over_the_delivered_scan() -> None:
    scans = {S.IN_TRANSIT: T0, S.DELIVERED: T0 + 30 * H}
    j = journey(history(first_scans=scans, delivered_at=T0 + 29 * H))
    assert j is not None and j.transit_seconds == 29 * 3600


def test_on_time_is_judged_on_the_first_estimated_day_in_the_customers_zone() -> None:
    just_in_time = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)  # 23:30 on the 26th in Paris
    just_late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 00:30 on the 27th in Paris
    on_time = journey(history(delivered_at=just_in_time))
    late = journey(history(delivered_at=just_late))
    assert on_time is not None and on_time.on_time is True
    assert late is not None and late.on_time is False
    # the same instant judged in UTC (zone unknown) is still the 26th
    unknown_zone = journey(history(delivered_at=just_late, customer_time_zone=None))
    assert unknown_zone is not None and unknown_zone.on_time is True


def test_without_an_estimate_a_delivery_is_not_judged() -> None:
    j = journey(history(delivered_at=T0 + 40 * H, first_estimated_delivery=None))
    assert j is not None and j.on_time is None


def test_a_returned_journey_counts_as_returned_with_no_transit_time() -> None:
    scans = {S.IN_TRANSIT: T0, S.EXCEPTION: T0 + 20 * H, S.RETURNED_TO_SENDER: T0 + 50 * H}
    j = journey(history(first_scans=scans))
    assert j is not None
    assert (j.outcome, j.ended_on, j.exception) == (Outcome.RETURNED, (T0 + 50 * H).date(), True)
    assert j.transit_seconds is None and j.on_time is None
    assert j.first_scan_seconds == 0  # registration and first scan at the same instant


def test_durations_out_of_order_are_left_out() -> None:
    scans = {S.IN_TRANSIT: T0 + 10 * H, S.DELIVERY_ATTEMPTED: T0 + 20 * H}
    j = journey(history(first_scans=scans, delivered_at=T0 + 5 * H, registered_at=T0 + 11 * H))
    assert j is not None and j.attempted
    assert j.transit_seconds is None and j.first_scan_seconds is None


def test_unknown_countries_wait_for_the_orders_details() -> None:
    j = journey(history(delivered_at=T0 + 40 * H, seller_country=None, customer_country=None))
    assert j is not None and (j.seller_country, j.customer_country) == ("", "")


@pytest.mark.parametrize("seconds", [0, 59.9, 60, 61, 3600, 86400 * 3.3, 86400 * 90])
def test_a_duration_lies_in_its_bucket(seconds: float) -> None:
    low, high = bounds(bucket_of(seconds))
    assert low <= seconds < high


def _nearest_rank(values: list[float], q: float) -> float:
    return sorted(values)[math.ceil(q * len(values)) - 1]


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_are_within_the_stated_error_of_the_exact_ones(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.gammavariate(3, 20 * 3600) + 60 for _ in range(rng.randint(1, 2000))]
    histogram: dict[int, int] = {}
    for value in values:
        histogram[bucket_of(value)] = histogram.get(bucket_of(value), 0) + 1
    for q in (0.5, 0.9, 1.0):
        exact = _nearest_rank(values, q)
        estimate = percentile(histogram, q)
        assert estimate is not None
        assert abs(estimate - exact) <= RELATIVE_ERROR * exact, (q, estimate, exact)


def test_percentiles_of_nothing_are_none_and_q_is_checked() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({3: 0}, 0.5) is None
    with pytest.raises(ValueError, match="q must be"):
        percentile({3: 1}, 0)


def test_a_change_replaces_the_old_contribution_by_the_new() -> None:
    before = journey(history(delivered_at=T0 + 40 * H, customer_country=None))
    after = journey(history(delivered_at=T0 + 40 * H))
    assert before is not None and after is not None
    delta = change(before, after)
    # every count moves from the unknown lane to US -> FR; nothing else
    assert {key[3] for key in delta} == {"", "FR"}
    assert sum(delta.values()) == 0
    assert {key[4:]: n for key, n in delta.items() if key[3] == "FR"} == {
        key[4:]: n for key, n in contribution(after).items()
    }
    assert list(delta) == sorted(delta)
    assert change(after, after) == {}
    assert change(None, after) == dict(sorted(contribution(after).items()))


def test_breakdown_merges_lanes_per_carrier() -> None:
    j1 = journey(history(delivered_at=T0 + 40 * H))
    j2 = journey(history(delivered_at=T0 + 100 * H, customer_country="DE"))
    j3 = journey(history(first_scans={S.IN_TRANSIT: T0, S.RETURNED_TO_SENDER: T0 + 9 * H}))
    assert j1 is not None and j2 is not None and j3 is not None
    rows = [
        ((key[1], key[2], key[3]), key[4], key[5], n)
        for j in (j1, j2, j3)
        for key, n in contribution(j).items()
    ]
    found = breakdown(rows)
    ups = found.carriers["ups"]
    assert ups.shipments == 3 and ups.transit.samples == 2
    assert (ups.on_time.numerator, ups.on_time.denominator) == (1, 2)
    assert (ups.returned.numerator, ups.returned.denominator) == (1, 3)
    assert set(found.lanes) == {("ups", "US", "FR"), ("ups", "US", "DE")}
    assert found.lanes["ups", "US", "DE"].shipments == 1
    assert all(key[4] in Measure for j in (j1, j2, j3) for key in contribution(j))
