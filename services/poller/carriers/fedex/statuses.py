"""FedEx event codes (REFERENCE §2.4): specific ``eventType`` first, derived code second."""

from services.poller.carriers.base import ErrorCodes
from shared.contracts.statuses import TrackingStatus as S

DELAY_CODES = frozenset({"DY", "DD", "PD", "CD"})

BY_EVENT_TYPE: dict[str, S] = {
    "OC": S.LABEL_CREATED,
    **dict.fromkeys(
        (
            "PU", "PX", "AA", "AC", "AE", "AF", "AO", "AP", "AR", "AX", "CC", "CH", "CP",
            "DP", "DS", "EA", "EO", "EP", "FD", "IT", "IX", "LO", "OF", "OX", "PF", "PL",
            "PM", "SF", "SP", "TR", *DELAY_CODES,
        ),
        S.IN_TRANSIT,
    ),
    **dict.fromkeys(("OD", "ED", "AD"), S.OUT_FOR_DELIVERY),
    **dict.fromkeys(("HP", "HL"), S.AVAILABLE_FOR_PICKUP),
    "DL": S.DELIVERED,
    **dict.fromkeys(("SE", "DE"), S.EXCEPTION),
    "RS": S.RETURNED_TO_SENDER,
    "CA": S.CANCELLED,
    # Return-label link events: known codes that say nothing about this parcel.
    **dict.fromkeys(("RP", "LP", "RG", "RD"), S.UNKNOWN),
}  # fmt: skip

BY_DERIVED_CODE: dict[str, S] = {
    "IN": S.LABEL_CREATED,
    **dict.fromkeys(("PU", "IT", "DY", "RL"), S.IN_TRANSIT),
    "DL": S.DELIVERED,
    "DE": S.EXCEPTION,
}

DELIVERY_EXCEPTION = "DE"
ATTEMPT_REASONS = frozenset({"08", "15"})
"""Exception reasons seen with DE that mean "customer not available / business closed"."""

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
