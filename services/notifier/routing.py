"""Who hears what: the messages one event triggers, each with its dedup key.

Pure: whether a message went out already is the caller's concern, through the
dedup key, which is the same for every redelivery or repeat of the same situation.
"""

import hashlib
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from services.notifier.context import MessageContext, OrderInfo, Recipient, recipient_for
from services.notifier.kinds import MessageKind
from shared.contracts.events import (
    Audience,
    Channel,
    EventData,
    Severity,
    SlaCarrierException,
    SlaDeliveredDisputed,
    SlaDeliveryLate,
    SlaDisputeDocumentsDue,
    SlaDisputeDocumentsOverdue,
    SlaOrderUnconfirmed,
    SlaShipByMissed,
    SlaTrackingStalled,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus, is_shipped

K = MessageKind

CHAT_RECIPIENT = "chat"
"""Recipient part of the dedup key of chat messages (one operations channel)."""


class RoutingSettings(BaseModel):
    """Which optional customer updates are sent."""

    model_config = ConfigDict(frozen=True)

    out_for_delivery: bool = False
    available_for_pickup: bool = True
    delivery_attempted: bool = True

    def sends(self, kind: MessageKind) -> bool:
        """Whether the optional update ``kind`` is switched on."""
        return {
            K.CUSTOMER_OUT_FOR_DELIVERY: self.out_for_delivery,
            K.CUSTOMER_AVAILABLE_FOR_PICKUP: self.available_for_pickup,
            K.CUSTOMER_DELIVERY_ATTEMPTED: self.delivery_attempted,
        }[kind]


@dataclass(frozen=True)
class Notification:
    """One message to send: its kind, its recipient (none for chat) and its dedup key."""

    kind: MessageKind
    dedup_key: str
    recipient: Recipient | None = field(default=None, repr=False)

    @property
    def audience(self) -> Audience:
        return self.kind.audience

    @property
    def channel(self) -> Channel:
        return self.kind.channel


_UPDATES: dict[TrackingStatus, MessageKind] = {
    TrackingStatus.OUT_FOR_DELIVERY: K.CUSTOMER_OUT_FOR_DELIVERY,
    TrackingStatus.AVAILABLE_FOR_PICKUP: K.CUSTOMER_AVAILABLE_FOR_PICKUP,
    TrackingStatus.DELIVERY_ATTEMPTED: K.CUSTOMER_DELIVERY_ATTEMPTED,
}

_SLA: dict[type[EventData], tuple[MessageKind, ...]] = {
    SlaShipByMissed: (K.CUSTOMER_SHIP_BY_MISSED, K.SELLER_SHIP_BY_MISSED, K.OPS_SHIP_BY_MISSED),
    SlaDeliveryLate: (K.CUSTOMER_DELIVERY_LATE, K.OPS_DELIVERY_LATE),
    SlaTrackingStalled: (
        K.CUSTOMER_TRACKING_STALLED,
        K.SELLER_TRACKING_STALLED,
        K.OPS_TRACKING_STALLED,
    ),
    SlaDeliveredDisputed: (
        K.CUSTOMER_DELIVERED_DISPUTED,
        K.SELLER_DELIVERED_DISPUTED,
        K.OPS_DELIVERED_DISPUTED,
    ),
    SlaDisputeDocumentsDue: (K.CUSTOMER_DOCUMENTS_DUE, K.SELLER_DOCUMENTS_DUE),
    SlaDisputeDocumentsOverdue: (
        K.CUSTOMER_DOCUMENTS_OVERDUE,
        K.SELLER_DOCUMENTS_OVERDUE,
        K.OPS_DOCUMENTS_OVERDUE,
    ),
    SlaOrderUnconfirmed: (K.CUSTOMER_ORDER_UNCONFIRMED,),
    SlaCarrierException: (
        K.CUSTOMER_CARRIER_EXCEPTION,
        K.SELLER_CARRIER_EXCEPTION,
        K.OPS_CARRIER_EXCEPTION,
    ),
}

_OPS_TIER_ONLY = frozenset({K.OPS_SHIP_BY_MISSED, K.OPS_DELIVERY_LATE, K.OPS_TRACKING_STALLED})
"""Operations hear of these only from the event of the ``ops`` severity tier."""


def route(context: MessageContext, settings: RoutingSettings) -> tuple[Notification, ...]:
    """The messages ``context.event`` triggers; empty for events nobody hears about."""
    return tuple(
        _notification(context.order, kind) for kind in triggered_kinds(context.event, settings)
    )


def dedup_key(order_id: str, kind: MessageKind, recipient: Recipient | None) -> str:
    """``<order>/<kind>/<recipient>``; the address appears only as a hash prefix."""
    if recipient is None:
        ref = CHAT_RECIPIENT
    else:
        ref = hashlib.sha256(recipient.address.lower().encode()).hexdigest()[:16]
    return f"{order_id}/{kind}/{ref}"


def triggered_kinds(event: EventData, settings: RoutingSettings) -> list[MessageKind]:
    """The kinds of message ``event`` triggers, whoever the order's recipients are."""
    if isinstance(event, TrackingStatusChanged):
        return _tracking_kinds(event, settings)
    kinds = _SLA.get(type(event), ())
    ops_tier = getattr(event, "severity", None) is Severity.OPS
    return [kind for kind in kinds if kind not in _OPS_TIER_ONLY or ops_tier]


def _tracking_kinds(event: TrackingStatusChanged, settings: RoutingSettings) -> list[MessageKind]:
    kinds = []
    previous = event.previous_status
    if is_shipped(event.status) and (previous is None or not is_shipped(previous)):
        kinds.append(K.CUSTOMER_SHIPPED)
    update = _UPDATES.get(event.status)
    if update is not None and settings.sends(update):
        kinds.append(update)
    return kinds


def _notification(order: OrderInfo, kind: MessageKind) -> Notification:
    recipient = None if kind.channel is Channel.CHAT else recipient_for(order, kind.audience)
    return Notification(kind, dedup_key(order.order_id, kind, recipient), recipient)
