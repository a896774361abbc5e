"""UPS status codes (REFERENCE §1.4): ``statusCode`` first, then the activity ``type``."""

from services.poller.carriers.base import ErrorCodes
from shared.contracts.statuses import TrackingStatus as S


def _codes(status: S, *codes: int | range) -> dict[int, S]:
    table: dict[int, S] = {}
    for code in codes:
        table.update({c: status for c in (code if isinstance(code, range) else (code,))})
    return table


DELAY_CODES = frozenset({32, 46, 48, 51, 52, 53, 86, 90})
"""In-transit codes that only say the parcel is late."""

BY_STATUS_CODE: dict[int, S] = {
    **_codes(S.LABEL_CREATED, 3, 44, 45, 77, 79, 80, 157, 166, 65, 131, 135),
    **_codes(
        S.IN_TRANSIT,
        5, 10, 12, 14, 16, 25, 38, 39, 47, 57, 70, 71, 73, 74, 75, 84, 87, 92,
        134, 137, 138, 158, 159, 160, 164, 165, 167, 168, 169,
        *DELAY_CODES,
    ),
    **_codes(S.OUT_FOR_DELIVERY, 6, 21, 37, 72, 78, 89, 91, 146, 162),
    **_codes(S.AVAILABLE_FOR_PICKUP, 17, 40, 144, 161),
    **_codes(S.DELIVERY_ATTEMPTED, 22, 23, 24, 60, 61, 62, 66, 145),
    **_codes(S.DELIVERED, 11, 26, 143),
    **_codes(
        S.EXCEPTION,
        13, 29, 30, 49, 50, 58, 59, 64, 68, 69, 76, 83, 85,
        123, 124, 125, 126, 132, 139, 141, 147, 149,
    ),
    **_codes(S.RETURNED_TO_SENDER, 33, 34, 35, 36, 67, 81, 118, 119),
    **_codes(S.CANCELLED, 7),
    # Requests, confirmations and updates: an event, but never a status move.
    **_codes(
        S.UNKNOWN,
        18, 19, 20, 27, 28, 41, 42, 43, 54, 55, 56, 63, 82, 88, 93, 94,
        range(95, 118), range(120, 123), range(127, 131), 133, 136, 140, 142,
        range(153, 157),
    ),
    **_codes(S.UNKNOWN, 0, 148, 163),
}  # fmt: skip

BY_TYPE: dict[str, S] = {
    "M": S.LABEL_CREATED,
    "I": S.IN_TRANSIT,
    "D": S.DELIVERED,
    "X": S.EXCEPTION,
    "MV": S.CANCELLED,
    "U": S.UNKNOWN,
    "NA": S.UNKNOWN,
}
"""Fallback when ``statusCode`` is missing or not in the table. ``D`` also covers
"out for delivery" in Track Alert, so it is used only when ``statusCode`` says nothing."""

ERRORS = ErrorCodes(
    "UPS",
    not_found=frozenset({"TW0001"}),
    invalid_number=frozenset({"TV1002"}),
    auth=frozenset({"250002", "250003", "251004", "UJ0001"}),
    rate_limited=frozenset({"10429"}),
    transient=frozenset({"10004"}),
)
