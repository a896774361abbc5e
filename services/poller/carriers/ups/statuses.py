"""UPS codes (``codes.csv``, documented in docs/carriers/ups.md).

An activity's status comes from, in order: its exception code (``status.code`` of a type
``X`` activity) when UPS's exception list puts it in a family of its own (a failed
attempt, a return, a hold for pickup, a delay); its ``statusCode`` (UPS's
Status/Description Codes, compared as integers: ``'003'`` is 3); its activity ``type``,
except ``D``, which Track Alert also uses for "out for delivery".
"""

from pathlib import Path

from services.poller.carriers import codes
from services.poller.carriers.base import ErrorCodes
from shared.contracts.statuses import TrackingStatus

TABLE = codes.load(Path(__file__).with_name("codes.csv"))

DELAY_CODES = frozenset({32, 46, 48, 51, 52, 53, 86, 90})
"""``statusCode``s that only say the parcel is late (UPS: "Delay", "Adverse Weather…")."""

AMBIGUOUS_TYPES = frozenset({"D"})
"""Types that decide nothing alone: ``D`` also covers "out for delivery" in Track Alert."""


def status_of(
    activity_type: str | None, code: str | None, status_code: str | None
) -> TrackingStatus | None:
    """The status of one UPS activity; None when no table row decides it."""
    if activity_type == "X":
        refined = TABLE.status("exceptionCode", _numeric(code))
        if refined not in (None, TrackingStatus.EXCEPTION):
            return refined
    by_code = TABLE.status("statusCode", _numeric(status_code))
    if by_code is not None:
        return by_code
    if activity_type in AMBIGUOUS_TYPES:
        return None
    return TABLE.status("type", activity_type)


def is_delay(status_code: str | None) -> bool:
    """Whether ``statusCode`` is one of the delay-only codes."""
    number = _numeric(status_code)
    return number is not None and number.isdigit() and int(number) in DELAY_CODES


def _numeric(code: str | None) -> str | None:
    """``'003'`` → ``'3'``; non-numeric codes unchanged."""
    if code is None:
        return None
    code = code.strip()
    return str(int(code)) if code.isdigit() else code


ERRORS = ErrorCodes(
    "UPS",
    not_found=frozenset({"TW0001"}),
    invalid_number=frozenset({"TV1002"}),
    auth=frozenset({"250002", "250003", "251004", "UJ0001"}),
    rate_limited=frozenset({"10429"}),
    transient=frozenset({"10004"}),
)
