from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.sla.calendar import BusinessCalendar
from services.sla.deadlines import (
    delivery_late_at,
    dispute_documents_deadline,
    dispute_documents_due_at,
    expected_delivery_date,
    order_unconfirmed_at,
    ship_by_missed,
    ship_by_missed_at,
    tracking_stalled_at,
)
from services.sla.rules import SlaRules

US = BusinessCalendar("US")
NEW_YORK = ZoneInfo("America/New_York")
RULES = SlaRules()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- ship-by detection ----------------------------------------------------------------

DEADLINE = at("2026-11-24T23:59:59-05:00")


def test_ship_by_missed_at_is_deadline_plus_detection_grace() -> None:
    assert ship_by_missed_at(DEADLINE, RULES).isoformat() == "2026-11-25T01:59:59-05:00"
    rules = SlaRules(ship_detection_grace=timedelta(minutes=15))
    assert ship_by_missed_at(DEADLINE, rules).isoformat() == "2026-11-25T00:14:59-05:00"


def test_ship_by_missed_is_false_when_grace_has_not_passed() -> None:
    now = at("2026-11-25T01:59:58-05:00")
    assert not ship_by_missed(deadline=DEADLINE, shipped_at=None, now=now, rules=RULES)


def test_ship_by_missed_is_true_when_grace_has_passed_without_shipped_scan() -> None:
    now = at("2026-11-25T01:59:59-05:00")
    assert ship_by_missed(deadline=DEADLINE, shipped_at=None, now=now, rules=RULES)


def test_ship_by_missed_is_false_when_shipped_exactly_at_deadline() -> None:
    now = at("2026-11-30T00:00:00-05:00")
    assert not ship_by_missed(deadline=DEADLINE, shipped_at=DEADLINE, now=now, rules=RULES)


def test_ship_by_missed_is_true_when_shipped_scan_occurred_after_deadline() -> None:
    now = at("2026-11-25T02:00:00-05:00")
    late = DEADLINE + timedelta(seconds=1)
    assert ship_by_missed(deadline=DEADLINE, shipped_at=late, now=now, rules=RULES)


def test_ship_by_missed_refuses_naive_now() -> None:
    with pytest.raises(ValueError, match="now must carry a UTC offset"):
        ship_by_missed(deadline=DEADLINE, shipped_at=None, now=datetime(2026, 12, 1), rules=RULES)


# --- order confirmation ---------------------------------------------------------------


def test_order_unconfirmed_at_is_thirty_minutes_after_placement() -> None:
    placed = at("2026-11-23T06:45:00+00:00")
    assert order_unconfirmed_at(placed, RULES).isoformat() == "2026-11-23T07:15:00+00:00"


def test_order_unconfirmed_at_counts_elapsed_time_when_clocks_go_forward() -> None:
    placed = at("2026-03-08T01:45:00-05:00").astimezone(NEW_YORK)
    assert order_unconfirmed_at(placed, RULES).isoformat() == "2026-03-08T03:15:00-04:00"


def test_order_unconfirmed_at_honours_confirmation_window_setting() -> None:
    placed = at("2026-11-23T06:45:00+00:00")
    rules = SlaRules(confirmation_window=timedelta(minutes=45))
    assert order_unconfirmed_at(placed, rules).isoformat() == "2026-11-23T07:30:00+00:00"


# --- late delivery --------------------------------------------------------------------


def test_delivery_late_at_is_end_of_estimated_day_plus_grace_in_customer_zone() -> None:
    late = delivery_late_at(date(2026, 11, 24), zone=NEW_YORK, rules=RULES)
    assert late.isoformat() == "2026-11-25T01:59:59-05:00"
    los_angeles = ZoneInfo("America/Los_Angeles")
    late = delivery_late_at(date(2026, 11, 24), zone=los_angeles, rules=RULES)
    assert late.isoformat() == "2026-11-25T01:59:59-08:00"


def test_delivery_late_at_is_end_of_estimated_day_when_grace_is_zero() -> None:
    rules = SlaRules(delivery_grace=timedelta(0))
    late = delivery_late_at(date(2026, 11, 24), zone=NEW_YORK, rules=rules)
    assert late.isoformat() == "2026-11-24T23:59:59-05:00"


def test_delivery_late_at_counts_grace_in_elapsed_time_when_clocks_go_back() -> None:
    rules = SlaRules(delivery_grace=timedelta(hours=3))
    late = delivery_late_at(date(2026, 10, 31), zone=NEW_YORK, rules=rules)
    assert late.isoformat() == "2026-11-01T01:59:59-05:00"


def test_delivery_late_at_ignores_weekends() -> None:
    late = delivery_late_at(date(2026, 11, 28), zone=NEW_YORK, rules=RULES)
    assert late.isoformat() == "2026-11-29T01:59:59-05:00"


# --- stalled tracking -----------------------------------------------------------------


def stalled(last_scan_at: str, calendar: BusinessCalendar = US, zone: ZoneInfo = NEW_YORK) -> str:
    return tracking_stalled_at(
        at(last_scan_at), calendar=calendar, zone=zone, rules=RULES
    ).isoformat()


def test_tracking_stalled_at_is_end_of_third_business_day_after_last_scan() -> None:
    assert stalled("2026-11-16T15:00:00+00:00") == "2026-11-19T23:59:59-05:00"


def test_tracking_stalled_at_skips_thanksgiving_and_weekend() -> None:
    assert stalled("2026-11-25T15:00:00+00:00") == "2026-12-01T23:59:59-05:00"


def test_tracking_stalled_at_counts_from_monday_when_last_scan_on_saturday() -> None:
    assert stalled("2026-11-28T15:00:00+00:00") == "2026-12-02T23:59:59-05:00"


def test_tracking_stalled_at_uses_local_date_when_utc_date_is_next_day() -> None:
    # 04:30 UTC on Wednesday is 23:30 on Tuesday in New York.
    assert stalled("2026-11-25T04:30:00+00:00") == "2026-11-30T23:59:59-05:00"


def test_tracking_stalled_at_uses_local_date_when_tokyo_is_a_day_ahead() -> None:
    # Sunday 16:00 UTC is Monday 01:00 in Tokyo, a holiday (Labour Thanksgiving Day).
    japan = BusinessCalendar("JP")
    tokyo = ZoneInfo("Asia/Tokyo")
    assert stalled("2026-11-22T16:00:00+00:00", japan, tokyo) == "2026-11-26T23:59:59+09:00"


def test_tracking_stalled_at_honours_business_days_setting() -> None:
    rules = SlaRules(stall_business_days=1)
    stall = tracking_stalled_at(
        at("2026-11-25T15:00:00+00:00"), calendar=US, zone=NEW_YORK, rules=rules
    )
    assert stall.isoformat() == "2026-11-27T23:59:59-05:00"


# --- dispute documents ----------------------------------------------------------------


def test_expected_delivery_date_is_carrier_estimate_when_given() -> None:
    delivered = at("2026-11-27T15:00:00+00:00")
    assert expected_delivery_date(date(2026, 11, 25), delivered, NEW_YORK) == date(2026, 11, 25)


def test_expected_delivery_date_is_local_delivery_date_when_no_estimate() -> None:
    delivered = at("2026-11-25T03:00:00+00:00")
    assert expected_delivery_date(None, delivered, NEW_YORK) == date(2026, 11, 24)


def test_expected_delivery_date_refuses_when_neither_estimate_nor_delivery() -> None:
    with pytest.raises(ValueError, match="estimate or a delivery time"):
        expected_delivery_date(None, None, NEW_YORK)


@pytest.mark.parametrize(
    ("expected", "calendar", "zone", "deadline", "due"),
    [
        # Thanksgiving skipped.
        (date(2026, 11, 25), US, "America/New_York",
         "2026-12-01T23:59:59-05:00", "2026-11-30T00:00:00-05:00"),
        # Expected on a Saturday, across the US spring-forward weekend.
        (date(2026, 3, 7), US, "America/New_York",
         "2026-03-11T23:59:59-04:00", "2026-03-10T00:00:00-04:00"),
        # Christmas on Friday: the reminder falls before the holiday weekend.
        (date(2026, 12, 22), US, "America/New_York",
         "2026-12-28T23:59:59-05:00", "2026-12-24T00:00:00-05:00"),
        # Year end: New Year's Day skipped.
        (date(2026, 12, 30), US, "America/New_York",
         "2027-01-05T23:59:59-05:00", "2027-01-04T00:00:00-05:00"),
        # EU fall-back between the reminder and the deadline.
        (date(2026, 10, 21), BusinessCalendar("DE"), "Europe/Berlin",
         "2026-10-26T23:59:59+01:00", "2026-10-23T00:00:00+02:00"),
        # Bavarian Corpus Christi.
        (date(2026, 6, 2), BusinessCalendar("DE", "BY"), "Europe/Berlin",
         "2026-06-08T23:59:59+02:00", "2026-06-05T00:00:00+02:00"),
        # Sydney, east of UTC: the local start of day is the previous UTC day.
        (date(2026, 4, 2), BusinessCalendar("AU"), "Australia/Sydney",
         "2026-04-09T23:59:59+10:00", "2026-04-08T00:00:00+10:00"),
    ],
)  # fmt: skip
def test_dispute_documents_deadline_is_third_business_day_and_reminder_the_day_before(
    expected: date, calendar: BusinessCalendar, zone: str, deadline: str, due: str
) -> None:
    tz = ZoneInfo(zone)
    got_deadline = dispute_documents_deadline(expected, calendar=calendar, zone=tz, rules=RULES)
    got_due = dispute_documents_due_at(expected, calendar=calendar, zone=tz, rules=RULES)
    assert got_deadline.isoformat() == deadline
    assert got_due.isoformat() == due


def test_dispute_documents_deadline_honours_business_days_setting() -> None:
    rules = SlaRules(dispute_documents_business_days=1)
    deadline = dispute_documents_deadline(
        date(2026, 11, 25), calendar=US, zone=NEW_YORK, rules=rules
    )
    due = dispute_documents_due_at(date(2026, 11, 25), calendar=US, zone=NEW_YORK, rules=rules)
    assert deadline.isoformat() == "2026-11-27T23:59:59-05:00"
    assert due.isoformat() == "2026-11-25T00:00:00-05:00"
