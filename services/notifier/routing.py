"""Who hears what: the messages one event triggers, each with its dedup key, and the rules
that keep a customer's inbox consistent (quiet hours, follow-ups, messages made moot).

Pure: whether a message went out already is the caller's concern, through the dedup key
(the same for every redelivery or repeat of the same situation) and :data:`POLICIES`, which
the store applies inside the consumer's transaction. ``docs/notifier.md`` has the same rules
as tables (who hears what, and the journeys).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, model_validator

from services.notifier.context import MessageContext, Recipient, recipient_for
from services.notifier.kinds import MessageKind
from shared.contracts.events import (
    Audience,
    Channel,
    EventData,
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
from shared.contracts.statuses import TrackingStatus, is_shipped

K = MessageKind

CHAT_RECIPIENT = "chat"
"""Recipient part of the dedup key of chat messages (one operations channel)."""


class RoutingSettings(BaseModel):
    """Which optional customer updates are sent, and the customers' quiet hours."""

    model_config = ConfigDict(frozen=True)

    out_for_delivery: bool = False
    available_for_pickup: bool = True
    delivery_attempted: bool = True
    delivered: bool = True
    quiet_from: time = time(21, 0)
    quiet_until: time = time(8, 0)
    """Delay and problem e-mails created between these local times (the customer's zone)
    wait until ``quiet_until``; equal times switch quiet hours off."""

    @model_validator(mode="after")
    def _naive_times(self) -> "RoutingSettings":
        if self.quiet_from.tzinfo is not None or self.quiet_until.tzinfo is not None:
            raise ValueError("quiet hours are local wall times, without an offset")
        return self

    def sends(self, kind: MessageKind) -> bool:
        """Whether the optional update ``kind`` is switched on."""
        return {
            K.CUSTOMER_OUT_FOR_DELIVERY: self.out_for_delivery,
            K.CUSTOMER_AVAILABLE_FOR_PICKUP: self.available_for_pickup,
            K.CUSTOMER_DELIVERY_ATTEMPTED: self.delivery_attempted,
            K.CUSTOMER_DELIVERED: self.delivered,
        }[kind]


@dataclass(frozen=True)
class Notification:
    """One message to send: its kind, its recipient (none for chat), its dedup key, and
    when it may go (``None``: at once)."""

    kind: MessageKind
    dedup_key: str
    recipient: Recipient | None = field(default=None, repr=False)
    not_before: datetime | None = None

    @property
    def audience(self) -> Audience:
        return self.kind.audience

    @property
    def channel(self) -> Channel:
        return self.kind.channel


# --- who hears what ---------------------------------------------------------------------

_UPDATES: dict[TrackingStatus, MessageKind] = {
    TrackingStatus.OUT_FOR_DELIVERY: K.CUSTOMER_OUT_FOR_DELIVERY,
    TrackingStatus.AVAILABLE_FOR_PICKUP: K.CUSTOMER_AVAILABLE_FOR_PICKUP,
    TrackingStatus.DELIVERY_ATTEMPTED: K.CUSTOMER_DELIVERY_ATTEMPTED,
}

_BY_EVENT: dict[type[EventData], tuple[MessageKind, ...]] = {
    SlaShipByMissed: (K.SELLER_SHIP_BY_MISSED, K.OPS_SHIP_BY_MISSED),
    SlaShipPromiseMissed: (K.CUSTOMER_SHIP_BY_MISSED,),
    SlaDeliveryLate: (K.CUSTOMER_DELIVERY_LATE, K.OPS_DELIVERY_LATE),
    SlaTrackingStalled: (
        K.CUSTOMER_TRACKING_STALLED,
        K.SELLER_TRACKING_STALLED,
        K.OPS_TRACKING_STALLED,
    ),
    SlaDelivered: (K.CUSTOMER_DELIVERED,),
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
    SlaDisputeDocumentsReceived: (
        K.CUSTOMER_DOCUMENTS_RECEIVED,
        K.SELLER_DOCUMENTS_RECEIVED,
        K.OPS_DOCUMENTS_RECEIVED,
    ),
    SlaOrderUnconfirmed: (K.CUSTOMER_ORDER_UNCONFIRMED,),
    OrderPaymentDeclined: (K.CUSTOMER_PAYMENT_DECLINED,),
    SlaCarrierException: (
        K.CUSTOMER_CARRIER_EXCEPTION,
        K.SELLER_CARRIER_EXCEPTION,
        K.OPS_CARRIER_EXCEPTION,
    ),
}
"""The kinds each event type may trigger; :func:`triggered_kinds` narrows by the event."""

_OPS_TIER_ONLY = frozenset({K.OPS_SHIP_BY_MISSED, K.OPS_DELIVERY_LATE, K.OPS_TRACKING_STALLED})
"""Operations hear of these only from the event of the ``ops`` severity tier."""

_RESUMED_FROM = frozenset({SlaKind.TRACKING_STALLED, SlaKind.CARRIER_EXCEPTION})
"""Problems whose clearing (``sla.resolved``) brings the customer a "moving again" e-mail,
unless the parcel is delivered by then (the delivered e-mail is the news)."""
_NOT_MOVING = frozenset(
    {TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.CANCELLED}
)


def triggered_kinds(event: EventData, settings: RoutingSettings) -> list[MessageKind]:
    """The kinds of message ``event`` triggers, whoever the order's recipients are."""
    if isinstance(event, TrackingStatusChanged):
        return _tracking_kinds(event, settings)
    if isinstance(event, SlaResolved):
        moving = event.latest_status is not None and event.latest_status not in _NOT_MOVING
        resumed = event.resolved_kind in _RESUMED_FROM and moving
        return [K.CUSTOMER_TRACKING_RESUMED] if resumed else []
    kinds = _BY_EVENT.get(type(event), ())
    ops_tier = getattr(event, "severity", None) is Severity.OPS
    if isinstance(event, SlaDisputeDocumentsReceived) and not event.late:
        kinds = tuple(kind for kind in kinds if kind is not K.OPS_DOCUMENTS_RECEIVED)
    return [
        kind
        for kind in kinds
        if (kind not in _OPS_TIER_ONLY or ops_tier)
        and (kind is not K.CUSTOMER_DELIVERED or settings.sends(kind))
    ]


def _tracking_kinds(event: TrackingStatusChanged, settings: RoutingSettings) -> list[MessageKind]:
    kinds = []
    previous = event.previous_status
    if is_shipped(event.status) and (previous is None or not is_shipped(previous)):
        kinds.append(K.CUSTOMER_SHIPPED)
    update = _UPDATES.get(event.status)
    if update is not None and settings.sends(update):
        kinds.append(update)
    return kinds


# --- keeping the inbox consistent -------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """How a message relates to the order's other messages (applied by the store)."""

    withdraws: frozenset[MessageKind] = frozenset()
    """Messages of these kinds not sent yet (held for quiet hours, retrying) are withdrawn
    when this one is claimed: it makes them moot."""
    follows: frozenset[MessageKind] = frozenset()
    """A follow-up: claimed only if the customer was told of one of these (sent or being
    sent); if they were still held, they are withdrawn and the follow-up is not needed."""
    blocked_by: frozenset[MessageKind] = frozenset()
    """Not claimed when the order already has a message of one of these kinds."""
    slot: MessageKind | None = None
    """Shares the dedup key of another kind: the order gets one message of the two."""
    quiet: bool = False
    """A delay or problem e-mail: held during the customer's quiet hours."""


_PROBLEMS = frozenset(
    {K.CUSTOMER_DELIVERY_LATE, K.CUSTOMER_TRACKING_STALLED, K.CUSTOMER_CARRIER_EXCEPTION}
)
_QUIET = Policy(quiet=True)

POLICIES: dict[MessageKind, Policy] = {
    K.CUSTOMER_SHIPPED: Policy(withdraws=frozenset({K.CUSTOMER_SHIP_BY_MISSED})),
    K.CUSTOMER_SHIP_BY_MISSED: Policy(quiet=True, blocked_by=frozenset({K.CUSTOMER_SHIPPED})),
    K.CUSTOMER_DELIVERY_LATE: Policy(quiet=True, blocked_by=frozenset({K.CUSTOMER_DELIVERED})),
    K.CUSTOMER_TRACKING_STALLED: Policy(quiet=True, blocked_by=frozenset({K.CUSTOMER_DELIVERED})),
    K.CUSTOMER_CARRIER_EXCEPTION: Policy(quiet=True, blocked_by=frozenset({K.CUSTOMER_DELIVERED})),
    K.CUSTOMER_TRACKING_RESUMED: Policy(
        withdraws=frozenset({K.CUSTOMER_TRACKING_STALLED, K.CUSTOMER_CARRIER_EXCEPTION}),
        follows=frozenset({K.CUSTOMER_TRACKING_STALLED, K.CUSTOMER_CARRIER_EXCEPTION}),
    ),
    K.CUSTOMER_DELIVERED: Policy(withdraws=_PROBLEMS | {K.CUSTOMER_SHIP_BY_MISSED}),
    K.CUSTOMER_DOCUMENTS_DUE: _QUIET,
    K.CUSTOMER_DOCUMENTS_OVERDUE: Policy(quiet=True, slot=K.CUSTOMER_DOCUMENTS_DUE),
    K.CUSTOMER_DOCUMENTS_RECEIVED: Policy(
        withdraws=frozenset({K.CUSTOMER_DOCUMENTS_DUE, K.CUSTOMER_DOCUMENTS_OVERDUE})
    ),
    K.CUSTOMER_ORDER_UNCONFIRMED: Policy(blocked_by=frozenset({K.CUSTOMER_PAYMENT_DECLINED})),
    K.CUSTOMER_PAYMENT_DECLINED: Policy(withdraws=frozenset({K.CUSTOMER_ORDER_UNCONFIRMED})),
}
"""Per kind; kinds not listed have no relation to others. The customer gets one documents
reminder (due, or overdue when there was no time for the first), a "moving again" only
after a problem they heard of, no "late" after "delivered", no "pending" after "declined"."""

NO_POLICY = Policy()


def policy(kind: MessageKind) -> Policy:
    return POLICIES.get(kind, NO_POLICY)


def quiet_release(now: datetime, zone: ZoneInfo, settings: RoutingSettings) -> datetime | None:
    """When a delay or problem e-mail created at ``now`` may go: ``None`` outside the
    customer's quiet hours, else the end of them (local ``quiet_until``)."""
    start, end = settings.quiet_from, settings.quiet_until
    if start == end:
        return None
    local = now.astimezone(zone)
    moment = local.time().replace(tzinfo=None)
    overnight = start > end
    inside = (moment >= start or moment < end) if overnight else (start <= moment < end)
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


# --- routing ----------------------------------------------------------------------------


def route(
    context: MessageContext, settings: RoutingSettings, now: datetime
) -> tuple[Notification, ...]:
    """The messages ``context.event`` triggers at ``now``; empty for events nobody hears
    about. Delay and problem e-mails in the customer's quiet hours carry ``not_before``."""
    notifications = []
    for kind in triggered_kinds(context.event, settings):
        recipient = (
            None if kind.channel is Channel.CHAT else recipient_for(context.order, kind.audience)
        )
        key = dedup_key(context.order.order_id, policy(kind).slot or kind, recipient)
        hold = None
        if policy(kind).quiet and recipient is not None:
            hold = quiet_release(now, ZoneInfo(recipient.time_zone), settings)
        notifications.append(Notification(kind, key, recipient, hold))
    return tuple(notifications)


def dedup_key(order_id: str, kind: MessageKind, recipient: Recipient | None) -> str:
    """``<order>/<kind>/<recipient>``; the address appears only as a hash prefix."""
    if recipient is None:
        ref = CHAT_RECIPIENT
    else:
        ref = hashlib.sha256(recipient.address.lower().encode()).hexdigest()[:16]
    return f"{order_id}/{kind}/{ref}"
