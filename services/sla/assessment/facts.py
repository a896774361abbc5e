"""What is known of an order: the facts stored from its events, and the breaches raised."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from services.sla.assessment.verdict import Breach, DeliveryWindow
from shared.contracts.events import DisputeDocument, DisputeResolution, SlaKind
from shared.contracts.statuses import TrackingStatus


@dataclass(frozen=True, slots=True)
class OrderDetails:
    """What ``order.placed`` / ``order.confirmed`` told us about the order."""

    seller_id: str
    seller_country: str
    seller_subdivision: str | None
    seller_time_zone: str
    customer_time_zone: str
    marketplace: str
    large: bool
    placed_at: datetime


@dataclass(frozen=True, slots=True)
class ShipmentFacts:
    """A shipment of the order with its tracking state derived from every scan."""

    shipment_id: str
    carrier: str
    tracking_number: str
    first_seen_at: datetime
    invalid_reason: str | None = None
    status: TrackingStatus | None = None
    status_since: datetime | None = None
    status_description: str | None = None
    last_scan_at: datetime | None = None
    shipped_at: datetime | None = None
    estimated_delivery: date | None = None
    delivered_at: datetime | None = None
    """As the carrier reported it in ``tracking.status_changed``."""
    signed_by: str | None = None
    delivery_reported: bool = False
    """A ``tracking.status_changed`` into ``delivered`` came (with the carrier's delivery
    time and signature, when it gives them)."""
    window: DeliveryWindow | None = None
    """The documents window fixed when the delivery was announced."""

    @property
    def trackable(self) -> bool:
        """False when the number was reported invalid and no scan ever came."""
        return self.invalid_reason is None or self.status is not None

    @property
    def delivery_time(self) -> datetime | None:
        """When the parcel was delivered: the carrier's figure, else the delivered scan's."""
        if self.status is not TrackingStatus.DELIVERED:
            return None
        return self.delivered_at or self.status_since


@dataclass(frozen=True, slots=True)
class DisputeFacts:
    """A delivered-but-not-received case; its deadline is fixed when it is accepted."""

    case_id: str
    shipment_id: str | None = None
    reported_at: datetime | None = None
    documents: frozenset[DisputeDocument] = frozenset()
    resolution: DisputeResolution | None = None
    expected_delivery: date | None = None
    documents_deadline: datetime | None = None
    documents_noticed: bool = False
    """``sla.dispute_documents_received`` was emitted for the case."""


@dataclass(frozen=True, slots=True)
class OrderFacts:
    order_id: str
    details: OrderDetails | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    payment_declined_at: datetime | None = None
    shipments: tuple[ShipmentFacts, ...] = ()
    disputes: tuple[DisputeFacts, ...] = ()
    breaches: Mapping[SlaKind, Breach] = field(default_factory=dict)
