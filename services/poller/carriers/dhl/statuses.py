"""DHL statuses (REFERENCE §4.4): the coarse ``statusCode`` refined by the event text."""

from services.poller.carriers.base import ErrorCodes
from shared.contracts.statuses import TrackingStatus as S

KNOWN_CODES = frozenset({"pre-transit", "transit", "delivered", "failure", "unknown"})

OUT_FOR_DELIVERY_TEXT = ("OUT FOR DELIVERY", "WITH DELIVERY COURIER")
PICKUP_TEXT = ("READY FOR PICKUP", "AVAILABLE FOR PICKUP", "PARCEL LOCKER", "SERVICE POINT")
ATTEMPT_TEXT = ("ATTEMPT", "NOT DELIVERED")
LABEL_TEXT = ("LABEL CREATED", "SHIPMENT INFORMATION RECEIVED")


def _has(text: str, needles: tuple[str, ...]) -> bool:
    return any(needle in text for needle in needles)


def refine(code: str, text: str) -> S:
    """Status of a known ``statusCode`` given the upper-cased status and description text."""
    if "RETURN" in text and ("SENDER" in text or "SHIPPER" in text):
        return S.RETURNED_TO_SENDER
    if code == "delivered":
        return S.DELIVERED
    if code == "pre-transit":
        return S.LABEL_CREATED
    if _has(text, PICKUP_TEXT):
        return S.AVAILABLE_FOR_PICKUP
    if code == "transit":
        return S.OUT_FOR_DELIVERY if _has(text, OUT_FOR_DELIVERY_TEXT) else S.IN_TRANSIT
    if code == "failure":
        return S.DELIVERY_ATTEMPTED if _has(text, ATTEMPT_TEXT) else S.EXCEPTION
    return S.LABEL_CREATED if _has(text, LABEL_TEXT) else S.UNKNOWN


ERRORS = ErrorCodes(
    "DHL",
    not_found=frozenset({"404"}),
    auth=frozenset({"401", "403"}),
    rate_limited=frozenset({"429"}),
    transient=frozenset(str(status) for status in range(500, 600)),
)
