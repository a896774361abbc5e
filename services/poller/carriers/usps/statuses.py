"""USPS codes (``codes.csv``, documented in docs/carriers/usps.md): each event by its
``eventCode`` (Pub 199 event codes); the response's ``statusCategory`` only when no event
says anything."""

from pathlib import Path

from services.poller.carriers import codes
from services.poller.carriers.base import ErrorCodes
from shared.contracts.statuses import TrackingStatus

TABLE = codes.load(Path(__file__).with_name("codes.csv"))


def category_status(category: str) -> TrackingStatus | None:
    """``statusCategory`` matched on its text before any ``(``: "Delivery Attempt (Action
    Needed)" is "Delivery Attempt"."""
    return TABLE.status("statusCategory", category.split("(")[0])


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
