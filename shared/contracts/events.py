"""Payloads (CloudEvents ``data``) of every event type, one model per type (DESIGN §2).

Each model names its CloudEvents ``type`` and its topic. Every payload carries
``order_id``: it is the message key and the CloudEvents ``subject``.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from shared.contracts import topics
from shared.contracts.common import (
    CarrierSlug,
    Contract,
    Customer,
    Identifier,
    Item,
    Location,
    PlainText,
    Seller,
    UtcDatetime,
)
from shared.contracts.statuses import TrackingStatus

TrackingNumber = Annotated[str, Field(min_length=1, max_length=64)]


class EventData(Contract):
    """Base of every event payload."""

    event_type: ClassVar[str]
    topic: ClassVar[str]

    order_id: Identifier


# --- orders.v1 -------------------------------------------------------------------------


class _OrderDetails(EventData):
    topic: ClassVar[str] = topics.ORDERS

    placed_at: UtcDatetime
    customer: Customer
    seller: Seller
    items: Annotated[list[Item], Field(min_length=1)]
    marketplace: Identifier


class OrderPlaced(_OrderDetails):
    """The customer placed an order; payment may still be pending."""

    event_type: ClassVar[str] = "order.placed"


class OrderConfirmed(_OrderDetails):
    """The order is paid and confirmed; the ship-by clock starts at ``confirmed_at``."""

    event_type: ClassVar[str] = "order.confirmed"

    confirmed_at: UtcDatetime


class OrderPaymentDeclined(EventData):
    """The customer's bank or card issuer declined the payment: the order will not be
    confirmed (the customer may place it again)."""

    event_type: ClassVar[str] = "order.payment_declined"
    topic: ClassVar[str] = topics.ORDERS

    declined_at: UtcDatetime
    reason_code: Annotated[
        str, Field(pattern=r"^[a-z0-9_]{1,64}$", examples=["insufficient_funds"])
    ]
    """The payment provider's decline code, for machines and dashboards."""
    reason: PlainText
    """The reason as the customer may read it ("Your bank declined the payment: insufficient
    funds."), in the customer's language."""


class OrderCancelled(EventData):
    event_type: ClassVar[str] = "order.cancelled"
    topic: ClassVar[str] = topics.ORDERS

    cancelled_at: UtcDatetime
    reason: str | None = None


class ShipmentRegistered(EventData):
    """The seller uploaded a carrier and tracking number for (part of) an order."""

    event_type: ClassVar[str] = "shipment.registered"
    topic: ClassVar[str] = topics.ORDERS

    shipment_id: Identifier
    carrier: CarrierSlug
    tracking_number: TrackingNumber
    registered_at: UtcDatetime


class DeliveryDisputed(EventData):
    """The customer reports a parcel the carrier shows as delivered is not there."""

    event_type: ClassVar[str] = "delivery.disputed"
    topic: ClassVar[str] = topics.ORDERS

    shipment_id: Identifier
    case_id: Identifier
    reported_at: UtcDatetime


class DisputeDocument(StrEnum):
    PHOTO_ID = "photo_id"
    NON_RECEIPT_FORM = "non_receipt_form"


class DisputeDocumentsReceived(EventData):
    event_type: ClassVar[str] = "dispute.documents_received"
    topic: ClassVar[str] = topics.ORDERS

    case_id: Identifier
    documents: Annotated[list[DisputeDocument], Field(min_length=1)]
    received_at: UtcDatetime


class DisputeResolution(StrEnum):
    REPLACEMENT = "replacement"
    REFUND = "refund"
    FOUND = "found"
    REJECTED = "rejected"


class DisputeResolved(EventData):
    event_type: ClassVar[str] = "dispute.resolved"
    topic: ClassVar[str] = topics.ORDERS

    case_id: Identifier
    resolution: DisputeResolution
    resolved_at: UtcDatetime


# --- tracking.v1 -----------------------------------------------------------------------


class _ShipmentRef(EventData):
    topic: ClassVar[str] = topics.TRACKING

    shipment_id: Identifier
    carrier: CarrierSlug
    tracking_number: TrackingNumber


class TrackingEvent(_ShipmentRef):
    """One new carrier scan, normalized; the carrier's own code and text kept beside it.

    ``occurred_at`` is set when the carrier gives an offset or a UTC time. When it gives
    only a local wall time, ``occurred_at`` is null and ``occurred_at_local`` holds it.
    """

    event_type: ClassVar[str] = "tracking.event"

    fingerprint: Annotated[str, Field(min_length=8, max_length=128)]
    status: TrackingStatus
    carrier_code: str
    description: str
    occurred_at: UtcDatetime | None
    occurred_at_local: str | None = None
    location: Location | None = None
    observed_at: UtcDatetime


class TrackingStatusChanged(_ShipmentRef):
    """The status derived from the whole scan history moved (never backwards)."""

    event_type: ClassVar[str] = "tracking.status_changed"

    previous_status: TrackingStatus | None
    status: TrackingStatus
    carrier_code: str
    description: str
    occurred_at: UtcDatetime | None
    location: Location | None = None
    estimated_delivery: date | None = None
    delivered_at: UtcDatetime | None = None
    signed_by: str | None = None


class InvalidNumberReason(StrEnum):
    UNKNOWN_CARRIER = "unknown_carrier"
    FORMAT = "format"
    CHECK_DIGIT = "check_digit"
    REJECTED_BY_CARRIER = "rejected_by_carrier"
    NOT_FOUND = "not_found"


class TrackingNumberInvalid(_ShipmentRef):
    """The tracking number cannot be tracked: wrong format, or the carrier never knew it."""

    event_type: ClassVar[str] = "tracking.number_invalid"

    reason: InvalidNumberReason
    detail: str
    detected_at: UtcDatetime


# --- sla.v1 ----------------------------------------------------------------------------


class Severity(StrEnum):
    """Escalation tier: first the seller hears, then operations."""

    SELLER = "seller"
    OPS = "ops"


class SlaKind(StrEnum):
    """What an SLA event is about; ``sla.resolved`` names the kind that cleared."""

    SHIP_BY_MISSED = "ship_by_missed"
    SHIP_PROMISE_MISSED = "ship_promise_missed"
    DELIVERY_LATE = "delivery_late"
    TRACKING_STALLED = "tracking_stalled"
    CARRIER_EXCEPTION = "carrier_exception"
    DELIVERED_DISPUTED = "delivered_disputed"
    DISPUTE_DOCUMENTS_DUE = "dispute_documents_due"
    DISPUTE_DOCUMENTS_OVERDUE = "dispute_documents_overdue"
    ORDER_UNCONFIRMED = "order_unconfirmed"
    DELIVERED = "delivered"
    DISPUTE_DOCUMENTS_RECEIVED = "dispute_documents_received"


NOTICES: frozenset[SlaKind] = frozenset({SlaKind.DELIVERED, SlaKind.DISPUTE_DOCUMENTS_RECEIVED})
"""Kinds that report a fact rather than a breach: emitted once, never escalated or resolved."""


class _SlaEvent(EventData):
    topic: ClassVar[str] = topics.SLA
    kind: ClassVar[SlaKind]

    seller_id: Identifier
    detected_at: UtcDatetime
    severity: Severity = Severity.SELLER


class _ParcelBreach(_SlaEvent):
    shipment_id: Identifier
    carrier: CarrierSlug
    tracking_number: TrackingNumber
    latest_status: TrackingStatus
    latest_description: str | None = None
    latest_scan_at: UtcDatetime | None = None


class MissingShipment(StrEnum):
    NO_TRACKING_NUMBER = "no_tracking_number"
    NEVER_SCANNED = "never_scanned"
    INVALID_TRACKING_NUMBER = "invalid_tracking_number"


class SlaShipByMissed(_SlaEvent):
    """No in-transit scan by the ship-by deadline."""

    event_type: ClassVar[str] = "sla.ship_by_missed"
    kind: ClassVar[SlaKind] = SlaKind.SHIP_BY_MISSED

    deadline: UtcDatetime
    missing: MissingShipment
    carrier: CarrierSlug | None = None
    tracking_number: TrackingNumber | None = None


class SlaShipPromiseMissed(_SlaEvent):
    """The customer's promise passed without a shipped scan: the help page's "allow 1
    business day from the order confirmation" (2 with a large item), i.e. the end of the
    first (second) business day after the confirmation day in the seller's zone. Later than
    (or equal to) the seller's ship-by deadline, which drives ``sla.ship_by_missed``."""

    event_type: ClassVar[str] = "sla.ship_promise_missed"
    kind: ClassVar[SlaKind] = SlaKind.SHIP_PROMISE_MISSED

    promised_by: UtcDatetime
    large: bool = False


class SlaDeliveryLate(_ParcelBreach):
    """Not delivered by the end of the carrier's latest estimated delivery date."""

    event_type: ClassVar[str] = "sla.delivery_late"
    kind: ClassVar[SlaKind] = SlaKind.DELIVERY_LATE

    estimated_delivery: date


class SlaTrackingStalled(_ParcelBreach):
    """In transit with no new scan for several business days."""

    event_type: ClassVar[str] = "sla.tracking_stalled"
    kind: ClassVar[SlaKind] = SlaKind.TRACKING_STALLED


class ExceptionReason(StrEnum):
    LOST = "lost"
    DAMAGED = "damaged"
    RETURNED_TO_SENDER = "returned_to_sender"
    OTHER = "other"


class SlaCarrierException(_ParcelBreach):
    """The carrier reports the parcel lost, damaged, returned or otherwise held up."""

    event_type: ClassVar[str] = "sla.carrier_exception"
    kind: ClassVar[SlaKind] = SlaKind.CARRIER_EXCEPTION

    reason: ExceptionReason


class _DisputeEvent(_SlaEvent):
    case_id: Identifier
    shipment_id: Identifier
    carrier: CarrierSlug
    tracking_number: TrackingNumber
    documents_due: UtcDatetime


class SlaDelivered(_SlaEvent):
    """The carrier delivered a parcel of the order (a notice, not a breach). Fixes the
    window in which a customer who does not have it can send the dispute documents."""

    event_type: ClassVar[str] = "sla.delivered"
    kind: ClassVar[SlaKind] = SlaKind.DELIVERED

    shipment_id: Identifier
    carrier: CarrierSlug
    tracking_number: TrackingNumber
    delivered_at: UtcDatetime
    delivery_description: str | None = None
    """What the carrier said about the delivery ("Delivered, Left at Front Door")."""
    signed_by: str | None = None
    expected_delivery: date
    documents_due: UtcDatetime
    """The end of the window to send the documents if the parcel is not there."""


class SlaDeliveredDisputed(_DisputeEvent):
    """Delivered according to the carrier, not received according to the customer."""

    event_type: ClassVar[str] = "sla.delivered_disputed"
    kind: ClassVar[SlaKind] = SlaKind.DELIVERED_DISPUTED

    delivered_at: UtcDatetime | None
    expected_delivery: date
    delivery_description: str | None = None
    """What the carrier said about the delivery ("Delivered, Left at Front Door")."""
    signed_by: str | None = None
    late_report: bool = False
    """Reported after the documents window, or with less than one business day of it
    left: operations decide, the customer is asked for the documents as soon as possible."""


class SlaDisputeDocumentsDue(_DisputeEvent):
    """One business day before the documents deadline, documents still missing."""

    event_type: ClassVar[str] = "sla.dispute_documents_due"
    kind: ClassVar[SlaKind] = SlaKind.DISPUTE_DOCUMENTS_DUE

    missing_documents: list[DisputeDocument]


class SlaDisputeDocumentsOverdue(_DisputeEvent):
    """The documents deadline passed without the documents."""

    event_type: ClassVar[str] = "sla.dispute_documents_overdue"
    kind: ClassVar[SlaKind] = SlaKind.DISPUTE_DOCUMENTS_OVERDUE

    missing_documents: list[DisputeDocument]


class SlaDisputeDocumentsReceived(_DisputeEvent):
    """Every document of the accepted case is in (a notice): the claim can go ahead."""

    event_type: ClassVar[str] = "sla.dispute_documents_received"
    kind: ClassVar[SlaKind] = SlaKind.DISPUTE_DOCUMENTS_RECEIVED

    late: bool = False
    """The case was reported late or the documents came after the deadline: operations
    decide what happens next."""


class SlaOrderUnconfirmed(_SlaEvent):
    """Placed but still not confirmed after the confirmation window (payment pending)."""

    event_type: ClassVar[str] = "sla.order_unconfirmed"
    kind: ClassVar[SlaKind] = SlaKind.ORDER_UNCONFIRMED

    placed_at: UtcDatetime


class SlaResolved(EventData):
    """An open SLA situation cleared."""

    event_type: ClassVar[str] = "sla.resolved"
    topic: ClassVar[str] = topics.SLA

    seller_id: Identifier
    resolved_kind: SlaKind
    reason: Annotated[str, Field(min_length=1, max_length=200)]
    resolved_at: UtcDatetime
    latest_status: TrackingStatus | None = None
    """For a parcel breach, the status of its shipment when it cleared."""


# --- notifications.v1 ------------------------------------------------------------------


class Channel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"


class Audience(StrEnum):
    CUSTOMER = "customer"
    SELLER = "seller"
    OPS = "ops"


class _NotificationOutcome(EventData):
    topic: ClassVar[str] = topics.NOTIFICATIONS

    notification_id: Identifier
    kind: Annotated[str, Field(min_length=1, max_length=64)]
    audience: Audience
    channel: Channel
    trigger_event_id: Identifier


class NotificationSent(_NotificationOutcome):
    event_type: ClassVar[str] = "notification.sent"

    message_id: str
    sent_at: UtcDatetime


class NotificationFailed(_NotificationOutcome):
    event_type: ClassVar[str] = "notification.failed"

    error: Annotated[str, Field(max_length=1000)]
    permanent: bool
    failed_at: UtcDatetime


EVENT_TYPES: tuple[type[EventData], ...] = (
    OrderPlaced,
    OrderConfirmed,
    OrderPaymentDeclined,
    OrderCancelled,
    ShipmentRegistered,
    DeliveryDisputed,
    DisputeDocumentsReceived,
    DisputeResolved,
    TrackingEvent,
    TrackingStatusChanged,
    TrackingNumberInvalid,
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
    NotificationSent,
    NotificationFailed,
)

BY_TYPE: dict[str, type[EventData]] = {model.event_type: model for model in EVENT_TYPES}
