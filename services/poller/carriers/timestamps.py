"""Honest timestamp parsing: aware UTC when the carrier gives an offset, else naive local."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import NamedTuple


class Stamp(NamedTuple):
    """A carrier time: ``utc`` when an offset is known, else ``local`` (naive ISO string)."""

    utc: datetime | None
    local: str | None


def from_iso(text: str) -> Stamp | None:
    """Parse ISO 8601; an offset gives UTC, no offset gives naive local. None if unparseable."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return Stamp(None, value.isoformat())
    return Stamp(value.astimezone(UTC), None)


def naive_iso(text: str) -> Stamp | None:
    """Parse ISO 8601 as local wall time, ignoring any offset or ``Z`` the carrier got wrong."""
    parsed = from_iso(text)
    if parsed is None:
        return None
    if parsed.local is not None:
        return parsed
    return from_iso(text[: _offset_start(text)])


def with_offset(local: str, offset: str) -> Stamp | None:
    """Combine a naive local ISO time with a ``±HH:MM`` (or ``±HH.MM``) offset."""
    tz = parse_offset(offset)
    parsed = from_iso(local)
    if tz is None or parsed is None or parsed.local is None:
        return None
    return Stamp(datetime.fromisoformat(parsed.local).replace(tzinfo=tz).astimezone(UTC), None)


def parse_offset(text: str) -> timezone | None:
    """``-05:00`` / ``-04.00`` / ``+0530`` to a fixed offset; None when unparseable."""
    cleaned = text.strip().replace(".", ":")
    if len(cleaned) < 3 or cleaned[0] not in "+-":
        return None
    hours, _, minutes = cleaned[1:].partition(":")
    if not minutes and len(hours) == 4:
        hours, minutes = hours[:2], hours[2:]
    if not (hours.isdigit() and (minutes or "0").isdigit()):
        return None
    delta = timedelta(hours=int(hours), minutes=int(minutes or "0"))
    if delta >= timedelta(hours=24):
        return None
    return timezone(-delta if cleaned[0] == "-" else delta)


def compact_date(text: str) -> date | None:
    """``YYYYMMDD`` to a date; None when unparseable."""
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def compact_datetime(day: str, time: str) -> str | None:
    """``YYYYMMDD`` + ``HHMMSS`` (left-padded when shorter; ``HH:MM:SS``, as real UPS answers
    write ``gmtTime``, too) to a naive ISO string."""
    time = time.replace(":", "")
    if not time.isdigit() or len(time) > 6:
        return None
    try:
        return datetime.strptime(day + time.zfill(6), "%Y%m%d%H%M%S").isoformat()
    except ValueError:
        return None


def iso_date(text: str) -> date | None:
    """The calendar date written in an ISO date or date-time (the carrier's local date)."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _offset_start(text: str) -> int:
    if text.endswith(("Z", "z")):
        return len(text) - 1
    tail = max(text.rfind("+"), text.rfind("-"))
    return tail if tail > text.find("T") > 0 else len(text)
