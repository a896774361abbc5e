"""Local days as exact instants, DST-safe, and time zone lookup."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class UnknownTimeZone(ValueError):
    """A name that is not an IANA time zone."""


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``, e.g. ``America/New_York``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(f"unknown time zone {name!r}") from None


def require_aware(value: datetime, name: str) -> None:
    """Refuse a naive datetime: a rule never guesses a time zone."""
    if value.utcoffset() is None:
        raise ValueError(f"{name} must carry a UTC offset, got {value.isoformat()}")


def shift(instant: datetime, delta: timedelta) -> datetime:
    """``instant + delta`` in elapsed time (not wall-clock time), in ``instant``'s zone."""
    require_aware(instant, "instant")
    return (instant.astimezone(UTC) + delta).astimezone(instant.tzinfo)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``.

    Usually 00:00:00; on a day whose midnight falls in a DST gap, the transition itself.
    On a day whose midnight happens twice, the first one.
    """
    return datetime.combine(day, time(), zone).astimezone(UTC).astimezone(zone)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """23:59:59 local on ``day``: one second before the next day starts.

    When 23:59:59 happens twice (clocks set back at midnight), the later one.
    """
    return shift(start_of_day(day + timedelta(days=1), zone), timedelta(seconds=-1))
