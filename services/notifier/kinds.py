"""Message kinds: one per message a recipient can get, named ``<audience>_<subject>``."""

from enum import StrEnum

from shared.contracts.events import (
    Audience,
    Channel,
    EventData,
    OrderPaymentDeclined,
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
    TrackingStatusChanged,
)


class MessageKind(StrEnum):
    """What a message says and to whom; also the template name."""

    CUSTOMER_SHIPPED = "customer_shipped"
    CUSTOMER_OUT_FOR_DELIVERY = "customer_out_for_delivery"
    CUSTOMER_AVAILABLE_FOR_PICKUP = "customer_available_for_pickup"
    CUSTOMER_DELIVERY_ATTEMPTED = "customer_delivery_attempted"
    CUSTOMER_DELIVERED = "customer_delivered"
    CUSTOMER_TRACKING_RESUMED = "customer_tracking_resumed"
    CUSTOMER_SHIP_BY_MISSED = "customer_ship_by_missed"
    CUSTOMER_DELIVERY_LATE = "customer_delivery_late"
    CUSTOMER_TRACKING_STALLED = "customer_tracking_stalled"
    CUSTOMER_DELIVERED_DISPUTED = "customer_delivered_disputed"
    CUSTOMER_DOCUMENTS_DUE = "customer_documents_due"
    CUSTOMER_DOCUMENTS_OVERDUE = "customer_documents_overdue"
    CUSTOMER_DOCUMENTS_RECEIVED = "customer_documents_received"
    CUSTOMER_ORDER_UNCONFIRMED = "customer_order_unconfirmed"
    CUSTOMER_PAYMENT_DECLINED = "customer_payment_declined"
    CUSTOMER_CARRIER_EXCEPTION = "customer_carrier_exception"
    SELLER_SHIP_BY_MISSED = "seller_ship_by_missed"
    SELLER_TRACKING_STALLED = "seller_tracking_stalled"
    SELLER_DELIVERED_DISPUTED = "seller_delivered_disputed"
    SELLER_DOCUMENTS_DUE = "seller_documents_due"
    SELLER_DOCUMENTS_OVERDUE = "seller_documents_overdue"
    SELLER_DOCUMENTS_RECEIVED = "seller_documents_received"
    SELLER_CARRIER_EXCEPTION = "seller_carrier_exception"
    OPS_SHIP_BY_MISSED = "ops_ship_by_missed"
    OPS_DELIVERY_LATE = "ops_delivery_late"
    OPS_TRACKING_STALLED = "ops_tracking_stalled"
    OPS_DELIVERED_DISPUTED = "ops_delivered_disputed"
    OPS_DOCUMENTS_OVERDUE = "ops_documents_overdue"
    OPS_DOCUMENTS_RECEIVED = "ops_documents_received"
    OPS_CARRIER_EXCEPTION = "ops_carrier_exception"

    @property
    def audience(self) -> Audience:
        """Who reads it, from the name's prefix."""
        return Audience(self.value.split("_", 1)[0])

    @property
    def channel(self) -> Channel:
        """Operations hear through the chat webhook, everyone else by e-mail."""
        return Channel.CHAT if self.audience is Audience.OPS else Channel.EMAIL


K = MessageKind

TRIGGERS: dict[MessageKind, type[EventData]] = {
    K.CUSTOMER_SHIPPED: TrackingStatusChanged,
    K.CUSTOMER_OUT_FOR_DELIVERY: TrackingStatusChanged,
    K.CUSTOMER_AVAILABLE_FOR_PICKUP: TrackingStatusChanged,
    K.CUSTOMER_DELIVERY_ATTEMPTED: TrackingStatusChanged,
    K.CUSTOMER_DELIVERED: SlaDelivered,
    K.CUSTOMER_TRACKING_RESUMED: SlaResolved,
    K.CUSTOMER_SHIP_BY_MISSED: SlaShipPromiseMissed,
    K.SELLER_SHIP_BY_MISSED: SlaShipByMissed,
    K.OPS_SHIP_BY_MISSED: SlaShipByMissed,
    K.CUSTOMER_DELIVERY_LATE: SlaDeliveryLate,
    K.OPS_DELIVERY_LATE: SlaDeliveryLate,
    K.CUSTOMER_TRACKING_STALLED: SlaTrackingStalled,
    K.SELLER_TRACKING_STALLED: SlaTrackingStalled,
    K.OPS_TRACKING_STALLED: SlaTrackingStalled,
    K.CUSTOMER_DELIVERED_DISPUTED: SlaDeliveredDisputed,
    K.SELLER_DELIVERED_DISPUTED: SlaDeliveredDisputed,
    K.OPS_DELIVERED_DISPUTED: SlaDeliveredDisputed,
    K.CUSTOMER_DOCUMENTS_DUE: SlaDisputeDocumentsDue,
    K.SELLER_DOCUMENTS_DUE: SlaDisputeDocumentsDue,
    K.CUSTOMER_DOCUMENTS_OVERDUE: SlaDisputeDocumentsOverdue,
    K.SELLER_DOCUMENTS_OVERDUE: SlaDisputeDocumentsOverdue,
    K.OPS_DOCUMENTS_OVERDUE: SlaDisputeDocumentsOverdue,
    K.CUSTOMER_DOCUMENTS_RECEIVED: SlaDisputeDocumentsReceived,
    K.SELLER_DOCUMENTS_RECEIVED: SlaDisputeDocumentsReceived,
    K.OPS_DOCUMENTS_RECEIVED: SlaDisputeDocumentsReceived,
    K.CUSTOMER_ORDER_UNCONFIRMED: SlaOrderUnconfirmed,
    K.CUSTOMER_PAYMENT_DECLINED: OrderPaymentDeclined,
    K.CUSTOMER_CARRIER_EXCEPTION: SlaCarrierException,
    K.SELLER_CARRIER_EXCEPTION: SlaCarrierException,
    K.OPS_CARRIER_EXCEPTION: SlaCarrierException,
}
"""The event type each kind is rendered from."""
