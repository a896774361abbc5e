"""FedEx codes (``codes.csv``, documented in docs/carriers/fedex.md).

A scan's status comes from, in order: its exception reason (``exceptionCode``, or
``ancillaryDetails[].reason`` on ``latestStatusDetail``) when the scan is a delivery or
shipment exception (``DE``/``SE``) and the reason puts it in a family of its own (the
customer was not available, a redirection to a FedEx location, a return to the shipper);
its ``eventType`` (FedEx's Tracking Status Codes); its derived code, which is coarse (an
``OD`` or ``HP`` scan carries derived ``IT``) and only a fallback.
"""

from pathlib import Path

from services.poller.carriers import codes
from services.poller.carriers.base import ErrorCodes
from shared.contracts.statuses import TrackingStatus

TABLE = codes.load(Path(__file__).with_name("codes.csv"))

EXCEPTION_EVENTS = frozenset({"DE", "SE"})
"""Event types whose exception reason may say more than "exception"."""

DELAY_CODES = frozenset({"DY", "DD", "PD", "CD"})

ESTIMATE_UNAVAILABLE = "ESTIMATED_DELIVERY_DATE_UNAVAILABLE"
"""``serviceCommitMessage.type`` when FedEx has no delivery date for the parcel."""


def status_of(
    event_type: str | None, derived: str | None, reasons: tuple[str | None, ...]
) -> TrackingStatus | None:
    """The status of one scan (or of ``latestStatusDetail``); None when no row decides."""
    if event_type in EXCEPTION_EVENTS:
        for reason in reasons:
            refined = TABLE.status("reason", reason)
            if refined is not None:
                return refined
    return TABLE.status("eventType", event_type) or TABLE.status("derivedCode", derived)


NOT_FOUND_ERRORS = frozenset(
    {"TRACKING.TRACKINGNUMBER.NOTFOUND", "TRACKING.DATA.NOTFOUND", "NOT.FOUND.ERROR"}
)
# TRACKINGNUMBER.INVALID: per-number error for a malformed number [I: not in the spec excerpt].
INVALID_NUMBER_ERRORS = frozenset(
    {"TRACKING.TRACKINGNUMBER.EMPTY", "TRACKING.TRACKINGNUMBER.INVALID"}
)
ERRORS = ErrorCodes(
    "FedEx",
    not_found=NOT_FOUND_ERRORS,
    invalid_number=INVALID_NUMBER_ERRORS,
    auth=frozenset({"NOT.AUTHORIZED.ERROR", "FORBIDDEN.ERROR"}),
    transient=frozenset({"INTERNAL.SERVER.ERROR", "SERVICE.UNAVAILABLE.ERROR"}),
)
