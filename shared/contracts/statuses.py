"""Normalized tracking statuses and the order in which a parcel moves through them."""

from enum import StrEnum


class TrackingStatus(StrEnum):
    """Carrier-independent status of a parcel (DESIGN §2)."""

    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


# Progress along the happy path. Statuses of equal rank may follow each other freely
# (out for delivery -> attempted -> out for delivery again).
_RANK: dict[TrackingStatus, int] = {
    TrackingStatus.UNKNOWN: 0,
    TrackingStatus.LABEL_CREATED: 1,
    TrackingStatus.IN_TRANSIT: 2,
    TrackingStatus.EXCEPTION: 2,
    TrackingStatus.OUT_FOR_DELIVERY: 3,
    TrackingStatus.AVAILABLE_FOR_PICKUP: 3,
    TrackingStatus.DELIVERY_ATTEMPTED: 3,
    TrackingStatus.DELIVERED: 4,
    TrackingStatus.CANCELLED: 4,
    TrackingStatus.RETURNED_TO_SENDER: 5,
}

# Statuses a carrier may announce at any point, even after a later-ranked one.
_ALWAYS_ALLOWED = frozenset({TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.EXCEPTION})


def is_shipped(status: TrackingStatus) -> bool:
    """True once the carrier has the parcel: an in-transit class scan or later."""
    return status not in (
        TrackingStatus.UNKNOWN,
        TrackingStatus.LABEL_CREATED,
        TrackingStatus.CANCELLED,
    )


def advances(current: TrackingStatus | None, new: TrackingStatus) -> bool:
    """Whether a scan with status ``new`` may replace ``current`` as the derived status.

    A late or out-of-order scan never moves a parcel backwards; only the carrier saying
    ``returned_to_sender`` or ``exception`` may override a later status (``exception``
    not after ``delivered``), and nothing overrides ``returned_to_sender``.
    """
    if new is TrackingStatus.UNKNOWN:
        return current is None
    if current is None or current is TrackingStatus.UNKNOWN:
        return True
    if current is TrackingStatus.RETURNED_TO_SENDER:
        return False
    if new in _ALWAYS_ALLOWED:
        return current is not TrackingStatus.DELIVERED or new is TrackingStatus.RETURNED_TO_SENDER
    return _RANK[new] >= _RANK[current]
