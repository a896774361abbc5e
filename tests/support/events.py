"""Sample events for tests."""

from datetime import UTC, date, datetime

from shared.contracts.common import Customer, Item, Location, Seller
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import (
    Audience,
    Channel,
    DeliveryDisputed,
    DisputeDocument,
    DisputeDocumentsReceived,
    DisputeResolution,
    DisputeResolved,
    EventData,
    ExceptionReason,
    InvalidNumberReason,
    MissingShipment,
    NotificationFailed,
    NotificationSent,
    OrderCancelled,
    OrderConfirmed,
    OrderPaymentDeclined,
    OrderPlaced,
    Severity,
    ShipmentRegistered,
    SlaCarrierException,
    SlaDelivered,
    SlaDeliveredDisputed,
    SlaDeliveryLate,
    SlaDisputeDocumentsDue,
    SlaDisputeDocumentsOverdue,
    SlaDisputeDocumentsReceived,
    SlaKind,
    SlaOrderUnconfirmed,
    SlaResolved,
    SlaShipByMissed,
    SlaShipPromiseMissed,
    SlaTrackingStalled,
    TrackingEvent,
    TrackingNumberInvalid,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus

PLACED_AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def order_placed(order_id: str = "o-1") -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        placed_at=PLACED_AT,
        customer=Customer(
            id="c-1",
            email="ada@example.com",
            name="Ada Lovelace",
            locale="en",
            time_zone="Europe/London",
            country="GB",
        ),
        seller=Seller(
            id="s-1",
            name="Refurb Ltd",
            email="ops@refurb.example",
            country="US",
            subdivision="NY",
            time_zone="America/New_York",
        ),
        items=[Item(sku="tv-55", title="55-inch TV", large=True)],
        marketplace="us",
    )


def cancelled(order_id: str, n: int = 0) -> CloudEvent[OrderCancelled]:
    return new_event(
        OrderCancelled(order_id=order_id, cancelled_at=PLACED_AT, reason=f"r{n}"),
        "tests",
        event_id=f"{order_id}-{n}",
    )


def one_of_each() -> list[EventData]:
    """A valid payload of every event type."""
    at = PLACED_AT
    placed = order_placed()
    parcel = {"shipment_id": "sh-1", "carrier": "ups", "tracking_number": "1Z5R89390357567127"}
    breach = {"seller_id": "s-1", "detected_at": at, "severity": Severity.OPS}
    dispute = {**parcel, "case_id": "case-1", "documents_due": at}
    made: list[EventData] = [
        placed,
        OrderConfirmed(**placed.model_dump(), confirmed_at=at),
        OrderCancelled(order_id="o-1", cancelled_at=at),
        OrderPaymentDeclined(
            order_id="o-1",
            declined_at=at,
            reason_code="card_expired",
            reason="Your card has expired.",
        ),
        ShipmentRegistered(order_id="o-1", registered_at=at, **parcel),
        DeliveryDisputed(order_id="o-1", shipment_id="sh-1", case_id="case-1", reported_at=at),
        DisputeDocumentsReceived(
            order_id="o-1", case_id="case-1", documents=[DisputeDocument.PHOTO_ID], received_at=at
        ),
        DisputeResolved(
            order_id="o-1", case_id="case-1", resolution=DisputeResolution.REFUND, resolved_at=at
        ),
        TrackingEvent(
            order_id="o-1",
            fingerprint="ups:abc123456",
            status=TrackingStatus.IN_TRANSIT,
            carrier_code="I",
            description="Departed from facility",
            occurred_at=at,
            location=Location(city="Louisville", state="KY", country="US"),
            observed_at=at,
            **parcel,
        ),
        TrackingStatusChanged(
            order_id="o-1",
            previous_status=TrackingStatus.LABEL_CREATED,
            status=TrackingStatus.IN_TRANSIT,
            carrier_code="I",
            description="Departed from facility",
            occurred_at=at,
            estimated_delivery=date(2026, 11, 27),
            **parcel,
        ),
        TrackingNumberInvalid(
            order_id="o-1",
            reason=InvalidNumberReason.CHECK_DIGIT,
            detail="check digit mismatch",
            detected_at=at,
            **parcel,
        ),
        SlaShipByMissed(
            order_id="o-1", deadline=at, missing=MissingShipment.NEVER_SCANNED, **breach
        ),
        SlaShipPromiseMissed(order_id="o-1", promised_by=at, large=True, **breach),
        SlaDeliveryLate(
            order_id="o-1",
            latest_status=TrackingStatus.IN_TRANSIT,
            estimated_delivery=date(2026, 11, 27),
            **parcel,
            **breach,
        ),
        SlaTrackingStalled(
            order_id="o-1", latest_status=TrackingStatus.IN_TRANSIT, **parcel, **breach
        ),
        SlaCarrierException(
            order_id="o-1",
            latest_status=TrackingStatus.EXCEPTION,
            reason=ExceptionReason.DAMAGED,
            **parcel,
            **breach,
        ),
        SlaDelivered(
            order_id="o-1",
            delivered_at=at,
            delivery_description="Delivered, left at front door",
            signed_by="RIVERA",
            expected_delivery=date(2026, 11, 27),
            documents_due=at,
            **parcel,
            **breach,
        ),
        SlaDeliveredDisputed(
            order_id="o-1",
            delivered_at=at,
            expected_delivery=date(2026, 11, 27),
            late_report=True,
            **dispute,
            **breach,
        ),
        SlaDisputeDocumentsReceived(order_id="o-1", late=False, **dispute, **breach),
        SlaDisputeDocumentsDue(
            order_id="o-1", missing_documents=[DisputeDocument.PHOTO_ID], **dispute, **breach
        ),
        SlaDisputeDocumentsOverdue(
            order_id="o-1", missing_documents=list(DisputeDocument), **dispute, **breach
        ),
        SlaOrderUnconfirmed(order_id="o-1", placed_at=at, **breach),
        SlaResolved(
            order_id="o-1",
            seller_id="s-1",
            resolved_kind=SlaKind.TRACKING_STALLED,
            reason="new scan (in_transit)",
            resolved_at=at,
            latest_status=TrackingStatus.IN_TRANSIT,
        ),
        NotificationSent(
            order_id="o-1",
            notification_id="n-1",
            kind="shipped",
            audience=Audience.CUSTOMER,
            channel=Channel.EMAIL,
            trigger_event_id="e-1",
            message_id="<abc@parcelwatch.invalid>",
            sent_at=at,
        ),
        NotificationFailed(
            order_id="o-1",
            notification_id="n-1",
            kind="shipped",
            audience=Audience.CUSTOMER,
            channel=Channel.EMAIL,
            trigger_event_id="e-1",
            error="550 mailbox unavailable",
            permanent=True,
            failed_at=at,
        ),
    ]
    return made
