"""Realistic sample orders and events, one per message kind, for previews and tests."""

from datetime import UTC, date, datetime, timedelta

from services.notifier.context import MessageContext, OrderInfo
from services.notifier.kinds import TRIGGERS, MessageKind
from services.notifier.rendering import template_language
from shared.contracts.common import Customer, Item, Location, Seller
from shared.contracts.events import (
    DisputeDocument,
    EventData,
    ExceptionReason,
    MissingShipment,
    OrderPaymentDeclined,
    Severity,
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
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus as S

ORDER_ID = "ord-2025-004817"
SELLER_ID = "sel-1042"
DETECTED = datetime(2025, 3, 10, 14, 5, tzinfo=UTC)

_CUSTOMERS = {
    "en": Customer(
        id="cus-88123",
        email="jamie.rivera@example.com",
        name="Jamie Rivera",
        given_name="Jamie",
        locale="en-US",
        time_zone="America/Chicago",
        country="US",
    ),
    "fr": Customer(
        id="cus-90417",
        email="camille.martin@example.fr",
        name="Camille Martin",
        given_name="Camille",
        locale="fr-FR",
        time_zone="Europe/Paris",
        country="FR",
    ),
}


def sample_order(locale: str = "en") -> OrderInfo:
    """A two-item order; the customer speaks ``locale``. Raises ``ValueError`` if malformed."""
    sample = _CUSTOMERS[template_language(locale)]
    customer = Customer.model_validate({**sample.model_dump(), "locale": locale})
    return OrderInfo(
        order_id=ORDER_ID,
        customer=customer,
        seller=Seller(
            id=SELLER_ID,
            name="Renewed Tech Outlet",
            email="orders@renewedtech.example.com",
            country="US",
            subdivision="TX",
            time_zone="America/Chicago",
        ),
        items=[
            Item(
                sku="iph13-128-mid-a", title="iPhone 13, 128 GB, Midnight (Refurbished, Excellent)"
            ),
            Item(sku="cbl-usbc-ltg-1m", title="USB-C to Lightning cable, 1 m"),
        ],
        marketplace="refurb-us",
    )


def sample_context(kind: MessageKind, locale: str = "en") -> MessageContext:
    """The sample order with a realistic event that triggers ``kind`` (a declined payment's
    reason in the customer's language, as the order service gives it)."""
    event = sample_event(kind)
    if isinstance(event, OrderPaymentDeclined) and template_language(locale) == "fr":
        event = event.model_copy(update={"reason": _DECLINED_FR})
    return MessageContext(sample_order(locale), event)


_DECLINED_FR = "Votre banque a refusé le paiement\u00a0: provision insuffisante."


def _status_changed(previous: S, status: S, description: str) -> TrackingStatusChanged:
    return TrackingStatusChanged(
        order_id=ORDER_ID,
        shipment_id="shp-31077",
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        previous_status=previous,
        status=status,
        carrier_code=status.upper()[:2],
        description=description,
        occurred_at=datetime(2025, 3, 5, 13, 42, tzinfo=UTC),
        location=Location(city="Mesquite", state="TX", postal_code="75149", country="US"),
        estimated_delivery=date(2025, 3, 7),
    )


_PARCEL = {"order_id": ORDER_ID, "seller_id": SELLER_ID, "detected_at": DETECTED}
_DISPUTE = {
    **_PARCEL,
    "case_id": "case-55102",
    "shipment_id": "shp-31077",
    "carrier": "usps",
    "tracking_number": "9400 1118 9922 3197 4284 90",
    "documents_due": datetime(2025, 3, 13, 4, 59, tzinfo=UTC),
}


def _events() -> dict[str, EventData]:
    return {
        "shipped": _status_changed(S.LABEL_CREATED, S.IN_TRANSIT, "Departed from Facility"),
        "out_for_delivery": _status_changed(
            S.IN_TRANSIT, S.OUT_FOR_DELIVERY, "Out For Delivery Today"
        ),
        "available_for_pickup": _status_changed(
            S.IN_TRANSIT, S.AVAILABLE_FOR_PICKUP, "Delivered to UPS Access Point™ location"
        ),
        "delivery_attempted": _status_changed(
            S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED, "The receiver was not available for delivery"
        ),
        "ship_promise_missed": SlaShipPromiseMissed(
            **_PARCEL, promised_by=datetime(2025, 3, 6, 5, 59, 59, tzinfo=UTC)
        ),
        "ship_by_missed": SlaShipByMissed(
            **_PARCEL,
            severity=Severity.OPS,
            deadline=datetime(2025, 3, 6, 5, 59, tzinfo=UTC),
            missing=MissingShipment.NEVER_SCANNED,
            carrier="ups",
            tracking_number="1Z999AA10123456784",
        ),
        "delivery_late": SlaDeliveryLate(
            **_PARCEL,
            severity=Severity.OPS,
            shipment_id="shp-31077",
            carrier="fedex",
            tracking_number="794612345678",
            latest_status=S.IN_TRANSIT,
            latest_description="Departed FedEx hub MEMPHIS, TN",
            latest_scan_at=datetime(2025, 3, 7, 9, 12, tzinfo=UTC),
            estimated_delivery=date(2025, 3, 7),
        ),
        "tracking_stalled": SlaTrackingStalled(
            **_PARCEL,
            severity=Severity.OPS,
            shipment_id="shp-31077",
            carrier="dhl",
            tracking_number="1234567890",
            latest_status=S.IN_TRANSIT,
            latest_description="Processed at CINCINNATI HUB - USA",
            latest_scan_at=datetime(2025, 3, 5, 22, 40, tzinfo=UTC),
        ),
        "carrier_exception": SlaCarrierException(
            **_PARCEL,
            shipment_id="shp-31077",
            carrier="fedex",
            tracking_number="794612345678",
            latest_status=S.EXCEPTION,
            latest_description="Package damaged in transit",
            latest_scan_at=datetime(2025, 3, 6, 16, 2, tzinfo=UTC),
            reason=ExceptionReason.DAMAGED,
        ),
        "delivered": SlaDelivered(
            **{**_PARCEL, "detected_at": datetime(2025, 3, 7, 19, 40, tzinfo=UTC)},
            shipment_id="shp-31077",
            carrier="usps",
            tracking_number="9400 1118 9922 3197 4284 90",
            delivered_at=datetime(2025, 3, 7, 19, 31, tzinfo=UTC),
            delivery_description="Delivered, In/At Mailbox",
            expected_delivery=date(2025, 3, 7),
            documents_due=datetime(2025, 3, 13, 4, 59, 59, tzinfo=UTC),
        ),
        "delivered_disputed": SlaDeliveredDisputed(
            **_DISPUTE,
            delivered_at=datetime(2025, 3, 7, 19, 31, tzinfo=UTC),
            expected_delivery=date(2025, 3, 7),
            delivery_description="Delivered, In/At Mailbox",
        ),
        "documents_received": SlaDisputeDocumentsReceived(**_DISPUTE),
        "documents_received_late": SlaDisputeDocumentsReceived(**_DISPUTE, late=True),
        "tracking_resumed": SlaResolved(
            order_id=ORDER_ID,
            seller_id=SELLER_ID,
            resolved_kind=SlaKind.TRACKING_STALLED,
            reason="new scan (in_transit)",
            resolved_at=datetime(2025, 3, 11, 15, 20, tzinfo=UTC),
            latest_status=S.IN_TRANSIT,
        ),
        "payment_declined": OrderPaymentDeclined(
            order_id=ORDER_ID,
            declined_at=datetime(2025, 3, 4, 15, 2, tzinfo=UTC),
            reason_code="insufficient_funds",
            reason="Your bank declined the payment: insufficient funds.",
        ),
        "documents_due": SlaDisputeDocumentsDue(
            **_DISPUTE, missing_documents=[DisputeDocument.NON_RECEIPT_FORM]
        ),
        "documents_overdue": SlaDisputeDocumentsOverdue(
            **_DISPUTE, missing_documents=[DisputeDocument.NON_RECEIPT_FORM]
        ),
        "order_unconfirmed": SlaOrderUnconfirmed(
            **{**_PARCEL, "detected_at": datetime(2025, 3, 4, 15, 31, tzinfo=UTC)},
            placed_at=datetime(2025, 3, 4, 15, 0, tzinfo=UTC),
        ),
    }


def sample_event(kind: MessageKind) -> EventData:
    """A realistic event that triggers ``kind`` (the ops-tier one where tiers matter)."""
    situation = kind.value.split("_", 1)[1]
    if TRIGGERS[kind] is SlaShipPromiseMissed:
        situation = "ship_promise_missed"
    if kind is MessageKind.OPS_DOCUMENTS_RECEIVED:
        situation = "documents_received_late"  # operations hear only of late ones
    return _events()[situation]


def sample_now(event: EventData) -> datetime:
    """When a message about the sample ``event`` is written: a few minutes after it."""
    for name in ("detected_at", "resolved_at", "declined_at", "occurred_at"):
        moment = getattr(event, name, None)
        if isinstance(moment, datetime):
            return moment + timedelta(minutes=2)
    raise ValueError(f"no time in {event.event_type}")
