from datetime import date

import pytest

from services.sla.calendar import (
    BusinessCalendar,
    UnknownCalendar,
    UnknownCountry,
    UnknownSubdivision,
)

US = BusinessCalendar("US")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 25), True),  # Wednesday
        (date(2026, 11, 26), False),  # Thanksgiving
        (date(2026, 11, 27), True),  # Friday after Thanksgiving: not a federal holiday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 7, 3), False),  # Independence Day observed (July 4 is a Saturday)
        (date(2027, 12, 31), False),  # New Year's Day 2028 observed (Saturday)
    ],
)
def test_is_business_day_follows_weekends_and_us_holidays(day: date, expected: bool) -> None:
    assert US.is_business_day(day) is expected


def test_is_business_day_counts_state_holiday_when_subdivision_given() -> None:
    assert BusinessCalendar("US").is_business_day(date(2026, 11, 3))
    assert not BusinessCalendar("US", "NY").is_business_day(date(2026, 11, 3))  # Election Day
    assert BusinessCalendar("DE").is_business_day(date(2026, 1, 6))
    assert not BusinessCalendar("DE", "BY").is_business_day(date(2026, 1, 6))  # Epiphany


def test_is_business_day_is_false_when_date_is_extra_holiday() -> None:
    calendar = BusinessCalendar("US", extra_holidays=frozenset({date(2026, 11, 27)}))
    assert not calendar.is_business_day(date(2026, 11, 27))


def test_is_business_day_is_true_when_extra_working_day_is_a_holiday_or_weekend() -> None:
    extra = frozenset({date(2026, 11, 26), date(2026, 11, 28)})
    calendar = BusinessCalendar("US", extra_working_days=extra)
    assert calendar.is_business_day(date(2026, 11, 26))
    assert calendar.is_business_day(date(2026, 11, 28))
    assert not calendar.is_business_day(date(2026, 11, 29))


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 11, 25), 0, date(2026, 11, 25)),
        (date(2026, 11, 28), 0, date(2026, 11, 28)),
        (date(2026, 11, 25), 1, date(2026, 11, 27)),
        (date(2026, 11, 25), 3, date(2026, 12, 1)),
        (date(2026, 11, 27), -1, date(2026, 11, 25)),
        (date(2026, 11, 30), -1, date(2026, 11, 27)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),
        (date(2027, 1, 4), -1, date(2026, 12, 31)),
    ],
)
def test_add_business_days_skips_weekends_and_holidays(
    start: date, count: int, expected: date
) -> None:
    assert US.add_business_days(start, count) == expected


def test_calendar_raises_unknown_country_when_holidays_has_no_calendar() -> None:
    with pytest.raises(UnknownCountry) as caught:
        BusinessCalendar("XX")
    assert str(caught.value) == "unknown country 'XX': no holiday calendar for it"
    assert isinstance(caught.value, UnknownCalendar)
    assert isinstance(caught.value, ValueError)


def test_calendar_raises_unknown_country_when_code_is_lower_case() -> None:
    with pytest.raises(UnknownCountry):
        BusinessCalendar("us")


@pytest.mark.parametrize(("country", "subdivision"), [("US", "ZZ"), ("DE", "NY"), ("JP", "13")])
def test_calendar_raises_unknown_subdivision_when_country_has_no_such_subdivision(
    country: str, subdivision: str
) -> None:
    with pytest.raises(UnknownSubdivision) as caught:
        BusinessCalendar(country, subdivision)
    assert str(caught.value) == f"unknown subdivision {subdivision!r} of country {country!r}"


def test_calendar_refuses_date_that_is_both_extra_holiday_and_extra_working_day() -> None:
    day = frozenset({date(2026, 11, 27)})
    with pytest.raises(ValueError, match="2026-11-27"):
        BusinessCalendar("US", extra_holidays=day, extra_working_days=day)
