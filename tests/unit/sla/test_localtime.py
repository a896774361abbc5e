from datetime import date, datetime, timedelta

import pytest

from services.sla.localtime import (
    UnknownTimeZone,
    end_of_day,
    require_aware,
    shift,
    start_of_day,
    time_zone,
)


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("America/New_York", date(2026, 3, 8), "2026-03-08T23:59:59-04:00"),
        ("America/New_York", date(2026, 11, 1), "2026-11-01T23:59:59-05:00"),
        ("Europe/Berlin", date(2026, 3, 29), "2026-03-29T23:59:59+02:00"),
        ("Europe/Berlin", date(2026, 10, 25), "2026-10-25T23:59:59+01:00"),
        ("Australia/Sydney", date(2026, 4, 5), "2026-04-05T23:59:59+10:00"),
        ("Australia/Sydney", date(2026, 10, 4), "2026-10-04T23:59:59+11:00"),
    ],
)
def test_end_of_day_is_last_local_second_when_day_changes_dst(
    zone: str, day: date, expected: str
) -> None:
    assert end_of_day(day, time_zone(zone)).isoformat() == expected


def test_end_of_day_is_later_occurrence_when_clocks_go_back_at_midnight() -> None:
    # Santiago: 2026-04-05 00:00 -03 becomes 2026-04-04 23:00 -04; 23:59:59 happens twice.
    deadline = end_of_day(date(2026, 4, 4), time_zone("America/Santiago"))
    assert deadline.isoformat() == "2026-04-04T23:59:59-04:00"
    assert shift(deadline, timedelta(seconds=1)).isoformat() == "2026-04-05T00:00:00-04:00"


def test_start_of_day_is_the_transition_when_midnight_is_skipped() -> None:
    # Santiago: 2026-09-06 00:00 -04 becomes 01:00 -03.
    start = start_of_day(date(2026, 9, 6), time_zone("America/Santiago"))
    assert start.isoformat() == "2026-09-06T01:00:00-03:00"


def test_start_of_day_is_first_midnight_when_midnight_happens_twice() -> None:
    # Havana: 2026-11-01 01:00 -04 becomes 00:00 -05.
    start = start_of_day(date(2026, 11, 1), time_zone("America/Havana"))
    assert start.isoformat() == "2026-11-01T00:00:00-04:00"


def test_shift_adds_elapsed_time_when_clocks_go_back() -> None:
    instant = datetime.fromisoformat("2026-11-01T00:30:00-04:00").astimezone(
        time_zone("America/New_York")
    )
    assert shift(instant, timedelta(hours=3)).isoformat() == "2026-11-01T02:30:00-05:00"


def test_shift_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        shift(datetime(2026, 1, 1), timedelta(hours=1))


def test_require_aware_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="confirmed_at must carry a UTC offset"):
        require_aware(datetime(2026, 1, 1, 12), "confirmed_at")


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "America", "", "../etc/passwd"])
def test_time_zone_raises_unknown_time_zone_when_name_is_not_iana(name: str) -> None:
    with pytest.raises(UnknownTimeZone, match="unknown time zone"):
        time_zone(name)
