"""The sla service: follows orders (``orders.v1``) and parcels (``tracking.v1``) against
their deadlines, publishes breaches, resolutions and notices on ``sla.v1``."""

from pathlib import Path

from shared.contracts import topics
from shared.contracts.events import (
    DeliveryDisputed,
    DisputeDocumentsReceived,
    DisputeResolved,
    OrderCancelled,
    OrderConfirmed,
    OrderPaymentDeclined,
    OrderPlaced,
    ShipmentRegistered,
    SlaCarrierException,
    SlaDelivered,
    SlaDeliveredDisputed,
    SlaDeliveryLate,
    SlaDisputeDocumentsDue,
    SlaDisputeDocumentsOverdue,
    SlaDisputeDocumentsReceived,
    SlaOrderUnconfirmed,
    SlaResolved,
    SlaShipByMissed,
    SlaShipPromiseMissed,
    SlaTrackingStalled,
    TrackingEvent,
    TrackingNumberInvalid,
    TrackingStatusChanged,
)
from shared.infra.spec import ServiceSpec, Subscription

SPEC = ServiceSpec(
    name="sla",
    source="parcelwatch/sla",
    consumes=(
        Subscription(
            topics.ORDERS,
            "orders",
            (
                OrderPlaced,
                OrderConfirmed,
                OrderCancelled,
                OrderPaymentDeclined,
                ShipmentRegistered,
                DeliveryDisputed,
                DisputeDocumentsReceived,
                DisputeResolved,
            ),
        ),
        Subscription(
            topics.TRACKING,
            "tracking",
            (TrackingEvent, TrackingStatusChanged, TrackingNumberInvalid),
        ),
    ),
    publishes=(
        SlaShipByMissed,
        SlaShipPromiseMissed,
        SlaDeliveryLate,
        SlaTrackingStalled,
        SlaCarrierException,
        SlaDelivered,
        SlaDeliveredDisputed,
        SlaDisputeDocumentsDue,
        SlaDisputeDocumentsOverdue,
        SlaDisputeDocumentsReceived,
        SlaOrderUnconfirmed,
        SlaResolved,
    ),
    migrations_dir=Path(__file__).parent / "migrations",
    settings_class="services.sla.settings:SlaSettings",
    metrics_class="services.sla.metrics:SlaMetrics",
    entrypoint="services.sla.entrypoint:build_app",
)
