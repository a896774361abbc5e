from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.sla.calendar import BusinessCalendar
from services.sla.deadlines import ship_by_deadline
from services.sla.rules import SlaRules

US = BusinessCalendar("US")
NEW_YORK = ZoneInfo("America/New_York")


def ship_by(
    confirmed_at: str,
    calendar: BusinessCalendar = US,
    zone: ZoneInfo = NEW_YORK,
    *,
    large: bool = False,
    rules: SlaRules | None = None,
) -> str:
    deadline = ship_by_deadline(
        datetime.fromisoformat(confirmed_at),
        large=large,
        calendar=calendar,
        zone=zone,
        rules=rules or SlaRules(),
    )
    return deadline.isoformat()


# --- cutoff ---------------------------------------------------------------------------


def test_ship_by_is_end_of_same_day_when_confirmed_before_cutoff() -> None:
    assert ship_by("2026-11-23T12:59:59-05:00") == "2026-11-23T23:59:59-05:00"


def test_ship_by_is_next_business_day_when_confirmed_exactly_at_cutoff() -> None:
    assert ship_by("2026-11-23T13:00:00-05:00") == "2026-11-24T23:59:59-05:00"


def test_ship_by_is_next_business_day_when_confirmed_after_cutoff() -> None:
    assert ship_by("2026-11-23T14:05:00-05:00") == "2026-11-24T23:59:59-05:00"


def test_ship_by_applies_cutoff_in_seller_time_when_confirmation_is_in_utc() -> None:
    # 17:30 UTC is 12:30 in New York: before the cutoff.
    assert ship_by("2026-11-23T17:30:00+00:00") == "2026-11-23T23:59:59-05:00"


def test_ship_by_honours_cutoff_hour_setting() -> None:
    rules = SlaRules(ship_cutoff_hour=15)
    assert ship_by("2026-11-23T14:59:59-05:00", rules=rules) == "2026-11-23T23:59:59-05:00"
    assert ship_by("2026-11-23T15:00:00-05:00", rules=rules) == "2026-11-24T23:59:59-05:00"


def test_ship_by_refuses_naive_confirmation_time() -> None:
    with pytest.raises(ValueError, match="confirmed_at must carry a UTC offset"):
        ship_by("2026-11-23T12:00:00")


# --- weekends and holidays ------------------------------------------------------------


@pytest.mark.parametrize(
    "confirmed_at",
    ["2026-11-20T13:00:00-05:00", "2026-11-21T09:00:00-05:00", "2026-11-22T12:00:00-05:00"],
)
def test_ship_by_is_monday_when_confirmed_friday_afternoon_or_weekend(confirmed_at: str) -> None:
    assert ship_by(confirmed_at) == "2026-11-23T23:59:59-05:00"


def test_ship_by_skips_thanksgiving_when_confirmed_wednesday_afternoon() -> None:
    assert ship_by("2026-11-25T14:00:00-05:00") == "2026-11-27T23:59:59-05:00"


def test_ship_by_is_monday_when_confirmed_on_thanksgiving_friday() -> None:
    assert ship_by("2026-11-27T13:30:00-05:00") == "2026-11-30T23:59:59-05:00"


def test_ship_by_skips_christmas_on_friday() -> None:
    assert ship_by("2026-12-24T14:00:00-05:00") == "2026-12-28T23:59:59-05:00"


def test_ship_by_skips_independence_day_observed_on_friday() -> None:
    assert ship_by("2026-07-02T13:00:00-04:00") == "2026-07-06T23:59:59-04:00"
    assert ship_by("2026-07-03T10:00:00-04:00") == "2026-07-06T23:59:59-04:00"


def test_ship_by_crosses_year_end_when_confirmed_new_years_eve_afternoon() -> None:
    assert ship_by("2026-12-31T15:00:00-05:00") == "2027-01-04T23:59:59-05:00"


def test_ship_by_is_new_years_eve_when_confirmed_that_morning() -> None:
    assert ship_by("2026-12-31T09:00:00-05:00") == "2026-12-31T23:59:59-05:00"


def test_ship_by_skips_new_year_observed_in_previous_year() -> None:
    # 2028-01-01 is a Saturday: observed on Friday 2027-12-31.
    assert ship_by("2027-12-30T14:00:00-05:00") == "2028-01-03T23:59:59-05:00"


def test_ship_by_skips_state_holiday_when_subdivision_given() -> None:
    # Election Day 2026-11-03 is a holiday in New York state only.
    confirmed = "2026-11-02T14:00:00-05:00"
    assert ship_by(confirmed) == "2026-11-03T23:59:59-05:00"
    assert ship_by(confirmed, BusinessCalendar("US", "NY")) == "2026-11-04T23:59:59-05:00"


def test_ship_by_skips_uk_bank_holidays_around_easter() -> None:
    london = ZoneInfo("Europe/London")
    england = BusinessCalendar("GB", "ENG")
    assert ship_by("2026-04-02T14:00:00+01:00", england, london) == "2026-04-07T23:59:59+01:00"


def test_ship_by_skips_uk_christmas_and_boxing_day_substitute() -> None:
    london = ZoneInfo("Europe/London")
    england = BusinessCalendar("GB", "ENG")
    assert ship_by("2026-12-24T15:00:00+00:00", england, london) == "2026-12-29T23:59:59+00:00"


def test_ship_by_skips_uk_summer_bank_holiday_monday() -> None:
    london = ZoneInfo("Europe/London")
    england = BusinessCalendar("GB", "ENG")
    assert ship_by("2026-08-28T14:00:00+01:00", england, london) == "2026-09-01T23:59:59+01:00"


@pytest.mark.parametrize(
    ("confirmed_at", "nationwide", "bavaria"),
    [
        # Epiphany (Tuesday 2026-01-06) is a holiday in Bavaria, not nationwide.
        ("2026-01-05T14:00:00+01:00", "2026-01-06T23:59:59+01:00", "2026-01-07T23:59:59+01:00"),
        # Corpus Christi (Thursday 2026-06-04) likewise.
        ("2026-06-03T14:00:00+02:00", "2026-06-04T23:59:59+02:00", "2026-06-05T23:59:59+02:00"),
    ],
)
def test_ship_by_skips_german_state_holiday_when_subdivision_given(
    confirmed_at: str, nationwide: str, bavaria: str
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert ship_by(confirmed_at, BusinessCalendar("DE"), berlin) == nationwide
    assert ship_by(confirmed_at, BusinessCalendar("DE", "BY"), berlin) == bavaria


# --- large items ----------------------------------------------------------------------


def test_ship_by_adds_one_business_day_when_order_has_large_item() -> None:
    assert ship_by("2026-11-23T10:00:00-05:00", large=True) == "2026-11-24T23:59:59-05:00"
    assert ship_by("2026-11-23T14:00:00-05:00", large=True) == "2026-11-25T23:59:59-05:00"


def test_ship_by_large_skips_weekend_when_day_zero_is_friday() -> None:
    assert ship_by("2026-11-20T10:00:00-05:00", large=True) == "2026-11-23T23:59:59-05:00"


def test_ship_by_large_skips_thanksgiving() -> None:
    assert ship_by("2026-11-25T10:00:00-05:00", large=True) == "2026-11-27T23:59:59-05:00"
    assert ship_by("2026-11-25T14:00:00-05:00", large=True) == "2026-11-30T23:59:59-05:00"


def test_ship_by_large_skips_state_holiday_and_dst_change() -> None:
    # Day 0 is Monday 2026-11-02 (after the fall-back weekend); Tuesday is Election Day in NY.
    new_york_state = BusinessCalendar("US", "NY")
    assert (
        ship_by("2026-10-30T15:00:00-04:00", new_york_state, large=True)
        == "2026-11-04T23:59:59-05:00"
    )


def test_ship_by_honours_business_day_settings() -> None:
    rules = SlaRules(ship_business_days=2, ship_business_days_large=3)
    assert ship_by("2026-11-23T10:00:00-05:00", rules=rules) == "2026-11-24T23:59:59-05:00"
    assert (
        ship_by("2026-11-23T10:00:00-05:00", rules=rules, large=True) == "2026-11-25T23:59:59-05:00"
    )


# --- daylight saving time -------------------------------------------------------------


def test_ship_by_uses_daylight_offset_when_us_clocks_went_forward_over_weekend() -> None:
    deadline = ship_by("2026-03-06T14:00:00-05:00")
    assert deadline == "2026-03-09T23:59:59-04:00"
    assert datetime.fromisoformat(deadline) == datetime.fromisoformat("2026-03-10T03:59:59+00:00")


def test_ship_by_large_uses_daylight_offset_when_confirmed_on_dst_saturday() -> None:
    assert ship_by("2026-03-07T09:00:00-05:00", large=True) == "2026-03-10T23:59:59-04:00"


def test_ship_by_uses_standard_offset_when_us_clocks_went_back_over_weekend() -> None:
    deadline = ship_by("2026-10-30T15:00:00-04:00")
    assert deadline == "2026-11-02T23:59:59-05:00"
    assert datetime.fromisoformat(deadline) == datetime.fromisoformat("2026-11-03T04:59:59+00:00")


def test_ship_by_uses_summer_offset_when_eu_clocks_went_forward_over_weekend() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    deadline = ship_by("2026-03-27T14:00:00+01:00", BusinessCalendar("DE"), berlin)
    assert deadline == "2026-03-30T23:59:59+02:00"


def test_ship_by_uses_winter_offset_when_eu_clocks_went_back_over_weekend() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    deadline = ship_by("2026-10-24T10:00:00+02:00", BusinessCalendar("DE"), berlin)
    assert deadline == "2026-10-26T23:59:59+01:00"


def test_ship_by_maps_end_of_dst_day_to_utc_when_that_day_is_a_working_day() -> None:
    germany = BusinessCalendar("DE", extra_working_days=frozenset({date(2026, 3, 29)}))
    deadline = ship_by("2026-03-28T10:00:00+01:00", germany, ZoneInfo("Europe/Berlin"))
    assert deadline == "2026-03-29T23:59:59+02:00"
    assert datetime.fromisoformat(deadline) == datetime.fromisoformat("2026-03-29T21:59:59+00:00")

    us = BusinessCalendar("US", extra_working_days=frozenset({date(2026, 11, 1)}))
    deadline = ship_by("2026-10-31T15:00:00-04:00", us)
    assert deadline == "2026-11-01T23:59:59-05:00"
    assert datetime.fromisoformat(deadline) == datetime.fromisoformat("2026-11-02T04:59:59+00:00")


def test_ship_by_applies_cutoff_with_daylight_offset_on_dst_day() -> None:
    # 17:30 UTC on 2026-03-08 is 13:30 EDT (after the cutoff), though 12:30 in EST.
    us = BusinessCalendar("US", extra_working_days=frozenset({date(2026, 3, 8)}))
    assert ship_by("2026-03-08T17:30:00+00:00", us) == "2026-03-09T23:59:59-04:00"
    assert ship_by("2026-03-08T16:59:59+00:00", us) == "2026-03-08T23:59:59-04:00"


# --- zones east and west of UTC -------------------------------------------------------

TOKYO = ZoneInfo("Asia/Tokyo")
SYDNEY = ZoneInfo("Australia/Sydney")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
HONOLULU = ZoneInfo("Pacific/Honolulu")


def test_ship_by_uses_local_date_when_tokyo_is_a_day_ahead_of_utc() -> None:
    # Thursday 16:30 UTC is Friday 01:30 in Tokyo: before the cutoff on Friday.
    deadline = ship_by("2026-06-04T16:30:00+00:00", BusinessCalendar("JP"), TOKYO)
    assert deadline == "2026-06-05T23:59:59+09:00"
    assert datetime.fromisoformat(deadline) == datetime.fromisoformat("2026-06-05T14:59:59+00:00")


def test_ship_by_skips_japanese_holiday() -> None:
    # Labour Thanksgiving Day, Monday 2026-11-23.
    assert (
        ship_by("2026-11-23T11:30:00+09:00", BusinessCalendar("JP"), TOKYO)
        == "2026-11-24T23:59:59+09:00"
    )


def test_ship_by_skips_golden_week() -> None:
    assert (
        ship_by("2026-05-01T14:00:00+09:00", BusinessCalendar("JP"), TOKYO)
        == "2026-05-07T23:59:59+09:00"
    )


def test_ship_by_uses_local_date_when_sydney_is_a_day_ahead_of_utc() -> None:
    # Thursday 20:00 UTC is Friday 06:00 in Sydney.
    deadline = ship_by("2026-10-01T20:00:00+00:00", BusinessCalendar("AU"), SYDNEY)
    assert deadline == "2026-10-02T23:59:59+10:00"


def test_ship_by_large_crosses_sydney_dst_start_and_state_labour_day() -> None:
    # Day 0 Friday 2026-10-02; clocks go forward on Sunday 10-04; Monday 10-05 is Labour
    # Day in New South Wales only.
    confirmed = "2026-10-01T20:00:00+00:00"
    assert (
        ship_by(confirmed, BusinessCalendar("AU"), SYDNEY, large=True)
        == "2026-10-05T23:59:59+11:00"
    )
    assert (
        ship_by(confirmed, BusinessCalendar("AU", "NSW"), SYDNEY, large=True)
        == "2026-10-06T23:59:59+11:00"
    )


def test_ship_by_crosses_sydney_dst_end_and_easter() -> None:
    assert (
        ship_by("2026-04-02T14:00:00+11:00", BusinessCalendar("AU"), SYDNEY)
        == "2026-04-07T23:59:59+10:00"
    )


def test_ship_by_uses_local_time_when_los_angeles_is_behind_utc() -> None:
    # 20:30 UTC is 12:30 in Los Angeles: before the cutoff.
    deadline = ship_by("2026-11-24T20:30:00+00:00", US, LOS_ANGELES)
    assert deadline == "2026-11-24T23:59:59-08:00"
    assert datetime.fromisoformat(deadline) == datetime.fromisoformat("2026-11-25T07:59:59+00:00")


def test_ship_by_uses_local_date_when_los_angeles_is_a_day_behind_utc() -> None:
    # Saturday 03:00 UTC is Friday 19:00 in Los Angeles.
    assert ship_by("2026-11-21T03:00:00+00:00", US, LOS_ANGELES) == "2026-11-23T23:59:59-08:00"
    # Tuesday 07:30 UTC is Monday 23:30 in Los Angeles.
    assert ship_by("2026-11-24T07:30:00+00:00", US, LOS_ANGELES) == "2026-11-24T23:59:59-08:00"


def test_ship_by_uses_local_time_when_honolulu_is_behind_utc() -> None:
    deadline = ship_by("2026-06-10T22:59:59+00:00", US, HONOLULU)
    assert deadline == "2026-06-10T23:59:59-10:00"
    assert datetime.fromisoformat(deadline) == datetime.fromisoformat("2026-06-11T09:59:59+00:00")


def test_ship_by_skips_hawaii_state_holiday() -> None:
    # 23:00 UTC is 13:00 in Honolulu; Thursday 2026-06-11 is Kamehameha Day.
    hawaii = BusinessCalendar("US", "HI")
    assert ship_by("2026-06-10T23:00:00+00:00", hawaii, HONOLULU) == "2026-06-12T23:59:59-10:00"


# --- marketplace overrides ------------------------------------------------------------


def test_ship_by_skips_marketplace_extra_holiday() -> None:
    calendar = BusinessCalendar("US", extra_holidays=frozenset({date(2026, 11, 27)}))
    assert ship_by("2026-11-25T14:00:00-05:00", calendar) == "2026-11-30T23:59:59-05:00"


def test_ship_by_counts_marketplace_extra_working_day_on_holiday() -> None:
    calendar = BusinessCalendar("US", extra_working_days=frozenset({date(2026, 11, 26)}))
    assert ship_by("2026-11-25T14:00:00-05:00", calendar) == "2026-11-26T23:59:59-05:00"
    assert ship_by("2026-11-26T09:00:00-05:00", calendar) == "2026-11-26T23:59:59-05:00"


def test_ship_by_counts_marketplace_extra_working_saturday() -> None:
    calendar = BusinessCalendar("US", extra_working_days=frozenset({date(2026, 11, 28)}))
    assert ship_by("2026-11-28T10:00:00-05:00", calendar) == "2026-11-28T23:59:59-05:00"
