"""DHL codes (``codes.csv``, documented in docs/carriers/dhl.md).

DHL Unified's ``statusCode`` is coarse (five values for every business unit: "OUT FOR
DELIVERY" and returns come as ``transit``), so an event's status comes from, in order: a
status identifier (Parcel NL/Benelux style, ``NOT_HOME``) in ``status``,
``statusDetailed`` or ``description``; a return phrase in that text; a ``delivered`` or
``pre-transit`` statusCode; any other phrase (pickup, attempt, out for delivery, label);
the statusCode itself. Phrases are also looked for in identifiers the table does not list,
their underscores read as spaces: ``NOT_HOME_…`` is an attempt, ``…_RETURN_TO_SHIPPER`` a
return.
"""

from pathlib import Path

from services.poller.carriers import codes
from services.poller.carriers.base import ErrorCodes
from shared.contracts.statuses import TrackingStatus

TABLE = codes.load(Path(__file__).with_name("codes.csv"))

_FIRM_CODES = frozenset({TrackingStatus.DELIVERED, TrackingStatus.LABEL_CREATED})
"""statusCode statuses that no phrase other than a return overrides."""


def status_of(code: str | None, texts: tuple[str | None, ...]) -> TrackingStatus | None:
    """The status of one DHL event; None when no row decides it."""
    for text in texts:
        found = TABLE.status("status", text)
        if found is not None:
            return found
    joined = " ".join(text for text in texts if text).upper().replace("_", " ")
    phrases = [row.status for row in TABLE.of("text") if row.code in joined]
    if TrackingStatus.RETURNED_TO_SENDER in phrases:
        return TrackingStatus.RETURNED_TO_SENDER
    by_code = TABLE.status("statusCode", code)
    if by_code in _FIRM_CODES or not phrases:
        return by_code
    return phrases[0]


ERRORS = ErrorCodes(
    "DHL",
    not_found=frozenset({"404"}),
    auth=frozenset({"401", "403"}),
    rate_limited=frozenset({"429"}),
    transient=frozenset(str(status) for status in range(500, 600)),
)
