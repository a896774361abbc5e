"""USPS event codes (REFERENCE §3.4, Pub 199): ``eventCode`` first, ``statusCategory`` second."""

from services.poller.carriers.base import ErrorCodes
from shared.contracts.statuses import TrackingStatus as S

BY_EVENT_CODE: dict[str, S] = {
    **dict.fromkeys(("GX", "MA"), S.LABEL_CREATED),
    **dict.fromkeys(
        (
            "03", "10", "07", "A1", "T1", "TL", "SF", "EF", "PC", "TM", "PA",
            "06", "08", "15", "19", "41", "42", "80", "81", "82", "71",
        ),
        S.IN_TRANSIT,
    ),
    "OF": S.OUT_FOR_DELIVERY,
    **dict.fromkeys(("14", "16"), S.AVAILABLE_FOR_PICKUP),
    **dict.fromkeys(("02", "30", "52", "53", "54", "55", "56"), S.DELIVERY_ATTEMPTED),
    **dict.fromkeys(("01", "17", "43"), S.DELIVERED),
    **dict.fromkeys(("04", "05", "11", "44", "51", "DX"), S.EXCEPTION),
    **dict.fromkeys(
        ("09", "21", "22", "23", "24", "25", "26", "27", "28", "29", "31"),
        S.RETURNED_TO_SENDER,
    ),
}  # fmt: skip

BY_CATEGORY: dict[str, S] = {
    "pre-shipment": S.LABEL_CREATED,
    "accepted": S.IN_TRANSIT,
    "in transit": S.IN_TRANSIT,
    "out for delivery": S.OUT_FOR_DELIVERY,
    "delivered": S.DELIVERED,
    "delivery attempt": S.DELIVERY_ATTEMPTED,
    "available for pickup": S.AVAILABLE_FOR_PICKUP,
    "alert": S.EXCEPTION,
}
"""Matched case-insensitively on the text before any ``(``: "Delivery Attempt (Action Needed)"."""

NOT_YET_AVAILABLE = frozenset({"150001", "150002", "150003", "150009"})
"""Label made but no scan yet: keep polling (150003: Post Office item with no update yet)."""

REJECTED = frozenset({"150004", "150008", "150010", "150011", "150012"})
"""The number cannot be tracked here (other shipper, pickup number, fraudulent postage...)."""

ERRORS = ErrorCodes(
    "USPS",
    not_found=NOT_YET_AVAILABLE,
    invalid_number=REJECTED,
    auth=frozenset({"401", "403"}),
    rate_limited=frozenset({"429"}),
    transient=frozenset({"500", "502", "503", "504"}),
)
