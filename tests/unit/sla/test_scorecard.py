"""The seller scorecard's four rates over trailing windows (pure)."""

from datetime import UTC, date, datetime, timedelta

from services.sla.scorecard import OrderRecord, Rate, Ratio, scorecard, window

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def order(**facts: object) -> OrderRecord:
    return OrderRecord(seller_id="s-1", customer_time_zone="America/Chicago", **facts)  # type: ignore[arg-type]


def test_late_shipment_counts_scans_after_the_deadline_and_no_scan_at_all() -> None:
    deadline = NOW - 2 * DAY
    records = [
        order(ship_by_deadline=deadline, shipped_at=deadline - DAY),  # on time
        order(ship_by_deadline=deadline, shipped_at=deadline + timedelta(seconds=1)),
        order(ship_by_deadline=deadline),  # never scanned
        order(ship_by_deadline=NOW + DAY),  # deadline still ahead: not judged
        order(ship_by_deadline=NOW - 10 * DAY, shipped_at=NOW),  # outside 7 days
    ]
    assert window(records, NOW, 7).ratios[Rate.LATE_SHIPMENT] == Ratio(2, 3)
    assert window(records, NOW, 30).ratios[Rate.LATE_SHIPMENT] == Ratio(3, 4)


def test_valid_tracking_needs_a_registration_in_the_window() -> None:
    records = [
        order(registered_at=NOW - DAY, tracking_valid=True),
        order(registered_at=NOW - DAY, tracking_valid=False),
        order(registered_at=NOW - 40 * DAY, tracking_valid=False),
        order(),
    ]
    assert window(records, NOW, 30).ratios[Rate.VALID_TRACKING] == Ratio(1, 2)


def test_on_time_delivery_is_judged_against_the_first_estimate_in_the_customer_zone() -> None:
    estimate = date(2026, 12, 8)
    # 23:30 in Chicago on the estimated day is 05:30 UTC the next day: still on time
    late_evening = datetime(2026, 12, 9, 5, 30, tzinfo=UTC)
    records = [
        order(first_estimated_delivery=estimate, delivered_at=late_evening),
        order(first_estimated_delivery=estimate, delivered_at=late_evening + DAY),
        order(first_estimated_delivery=estimate),  # the day is over, not delivered
        order(first_estimated_delivery=NOW.date() + DAY),  # not due yet
        order(first_estimated_delivery=NOW.date()),  # due today, not delivered yet
    ]
    assert window(records, NOW, 7).ratios[Rate.ON_TIME_DELIVERY] == Ratio(1, 3)


def test_dispute_rate_is_over_orders_delivered_in_the_window() -> None:
    records = [
        order(delivered_at=NOW - DAY, disputed=True),
        order(delivered_at=NOW - DAY),
        order(delivered_at=NOW - 3 * DAY),
        order(delivered_at=NOW - 20 * DAY, disputed=True),
        order(disputed=True),  # never delivered
    ]
    assert window(records, NOW, 7).ratios[Rate.DISPUTE] == Ratio(1, 3)
    assert window(records, NOW, 30).ratios[Rate.DISPUTE] == Ratio(2, 4)


def test_a_rate_without_orders_is_none_and_every_window_is_computed() -> None:
    weeks = scorecard([], NOW)
    assert [w.days for w in weeks] == [7, 30]
    assert all(r.rate is None for w in weeks for r in w.ratios.values())
    assert Ratio(1, 4).rate == 0.25
