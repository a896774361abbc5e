"""What an order's SLA situation calls for at an instant: events to emit, timers to set.

Pure: the facts stored for one order and ``now`` come in; out come the SLA events due
now (each with a deterministic id), the breach records that changed, and the timers at
which the order must be looked at again. The consumers call :func:`assess` after
recording a fact, the sweeper when a timer falls due: both reach the same verdict.

Every breach kind is raised at most once per order (then escalated once, from the
seller tier to ops) and resolved at most once; a timer is always later than ``now``.
"""

import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from services.sla.calendar import BusinessCalendar
from services.sla.deadlines import (
    customer_ship_promise,
    delivery_late_at,
    dispute_documents_deadline,
    dispute_documents_due_at,
    dispute_documents_overdue_at,
    dispute_late_report_from,
    expected_delivery_date,
    order_unconfirmed_at,
    ship_by_deadline,
    ship_by_missed_at,
    tracking_stalled_at,
)
from services.sla.escalation import next_escalation
from services.sla.rules import SlaRules
from shared.contracts.events import (
    DisputeDocument,
    DisputeResolution,
    EventData,
    ExceptionReason,
    MissingShipment,
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
)
from shared.contracts.statuses import TrackingStatus

K = SlaKind
S = TrackingStatus

ESCALATING: frozenset[SlaKind] = frozenset(
    {
        K.SHIP_BY_MISSED,
        K.DELIVERY_LATE,
        K.TRACKING_STALLED,
        K.CARRIER_EXCEPTION,
        K.DISPUTE_DOCUMENTS_OVERDUE,
    }
)
"""Breaches that go to the ops tier when still open ``escalate_after`` later. Reminders
(documents due, order unconfirmed) and the dispute itself (whose follow-up is the
documents deadline) stay with their first tier."""

STALL_WATCHED: frozenset[TrackingStatus] = frozenset(
    {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED}
)
"""Statuses in which a parcel is expected to get new scans (not waiting at a pickup point,
not held by an exception, not finished)."""

EXCEPTION_STATUSES: frozenset[TrackingStatus] = frozenset({S.EXCEPTION, S.RETURNED_TO_SENDER})

FINISHED: frozenset[TrackingStatus] = frozenset({S.DELIVERED, S.RETURNED_TO_SENDER, S.CANCELLED})
"""Statuses after which a parcel can no longer be late."""

REQUIRED_DOCUMENTS: frozenset[DisputeDocument] = frozenset(DisputeDocument)

_EVENT_IDS = uuid.UUID("1b6f0d64-5a0e-4c53-9b0f-5c1a7e3f2d11")


def breach_event_id(order_id: str, kind: SlaKind, severity: Severity) -> str:
    """The id of the ``kind`` event of ``order_id`` at ``severity``: one per tier, ever."""
    return str(uuid.uuid5(_EVENT_IDS, f"{order_id}/{kind}/{severity}"))


def resolved_event_id(order_id: str, kind: SlaKind) -> str:
    """The id of the ``sla.resolved`` event that clears ``kind`` for ``order_id``."""
    return str(uuid.uuid5(_EVENT_IDS, f"{order_id}/{kind}/resolved"))


def notice_event_id(order_id: str, kind: SlaKind, subject: str) -> str:
    """The id of the notice ``kind`` about ``subject`` (a shipment or a case)."""
    return str(uuid.uuid5(_EVENT_IDS, f"{order_id}/{kind}/{subject}"))


class OrderState(StrEnum):
    """Where an order stands, for dashboards (``parcelwatch_sla_open_orders``)."""

    PENDING = "pending"
    """Tracking or dispute facts arrived, the order itself not yet."""
    UNCONFIRMED = "unconfirmed"
    AWAITING_SHIPMENT = "awaiting_shipment"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    DISPUTED = "disputed"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    """The payment was declined: the order will not ship."""


_LOST = re.compile(r"\b(lost|missing|cannot be located|not located)\b", re.IGNORECASE)
_DAMAGED = re.compile(r"\bdamage", re.IGNORECASE)
_RETURNED = re.compile(r"\breturn(ed|ing)?\b.*\b(sender|shipper)\b", re.IGNORECASE)


def exception_reason(status: TrackingStatus, description: str | None) -> ExceptionReason:
    """Classify a carrier exception by its status and the carrier's own text."""
    text = description or ""
    if status is S.RETURNED_TO_SENDER or _RETURNED.search(text):
        return ExceptionReason.RETURNED_TO_SENDER
    if _LOST.search(text):
        return ExceptionReason.LOST
    if _DAMAGED.search(text):
        return ExceptionReason.DAMAGED
    return ExceptionReason.OTHER


# --- facts ------------------------------------------------------------------------------


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
    window: "DeliveryWindow | None" = None
    """The documents window fixed when the delivery was announced."""

    @property
    def trackable(self) -> bool:
        """False when the number was reported invalid and no scan ever came."""
        return self.invalid_reason is None or self.status is not None

    @property
    def delivery_time(self) -> datetime | None:
        """When the parcel was delivered: the carrier's figure, else the delivered scan's."""
        if self.status is not S.DELIVERED:
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
class Breach:
    """A raised SLA event of one kind: its current tier, and its resolution if cleared."""

    kind: SlaKind
    severity: Severity
    raised_at: datetime
    """When the current tier was raised (the escalation clock starts there)."""
    subject: str | None = None
    """The shipment or dispute case the breach is about, when it is about one."""
    resolved_at: datetime | None = None
    resolution: str | None = None


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


# --- verdict ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timers:
    """When each open deadline falls due; ``None`` when there is nothing to watch."""

    confirmation_due_at: datetime | None = None
    ship_by_due_at: datetime | None = None
    ship_promise_due_at: datetime | None = None
    delivery_due_at: datetime | None = None
    stall_due_at: datetime | None = None
    documents_reminder_at: datetime | None = None
    documents_overdue_at: datetime | None = None
    escalation_due_at: datetime | None = None


_TIMER_OF: dict[SlaKind, str] = {
    K.ORDER_UNCONFIRMED: "confirmation_due_at",
    K.SHIP_BY_MISSED: "ship_by_due_at",
    K.SHIP_PROMISE_MISSED: "ship_promise_due_at",
    K.DELIVERY_LATE: "delivery_due_at",
    K.TRACKING_STALLED: "stall_due_at",
    K.DISPUTE_DOCUMENTS_DUE: "documents_reminder_at",
    K.DISPUTE_DOCUMENTS_OVERDUE: "documents_overdue_at",
}


@dataclass(frozen=True, slots=True)
class Emission:
    """An SLA event to publish, with its deterministic id."""

    event_id: str
    data: EventData
    kind: SlaKind
    severity: Severity | None
    """The tier of a breach event; ``None`` for ``sla.resolved`` and notices."""
    notice: bool = False
    subject: str = ""
    """The shipment or case a notice is about."""


@dataclass(frozen=True, slots=True)
class DisputeDeadline:
    """The documents deadline fixed for a case when its dispute was accepted."""

    case_id: str
    expected_delivery: date
    deadline: datetime


@dataclass(frozen=True, slots=True)
class DeliveryWindow:
    """The documents window of a delivered shipment, fixed when its delivery is announced,
    so a later dispute is held to the date the customer was told."""

    shipment_id: str
    expected_delivery: date
    deadline: datetime


@dataclass(frozen=True, slots=True)
class Assessment:
    state: OrderState
    ship_by_deadline: datetime | None = None
    ship_promise: datetime | None = None
    """The customer's promise (:func:`~services.sla.deadlines.customer_ship_promise`)."""
    timers: Timers = Timers()
    emissions: tuple[Emission, ...] = ()
    breaches: tuple[Breach, ...] = ()
    """Breach records raised, escalated or resolved by this assessment."""
    dispute_deadlines: tuple[DisputeDeadline, ...] = ()
    delivery_windows: tuple[DeliveryWindow, ...] = ()
    documents_noticed: tuple[str, ...] = ()
    """Cases whose ``sla.dispute_documents_received`` this assessment emitted."""


# --- the rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    facts: OrderFacts
    details: OrderDetails
    now: datetime
    rules: SlaRules
    calendar: BusinessCalendar
    seller_zone: ZoneInfo
    customer_zone: ZoneInfo
    ship_by_deadline: datetime | None
    ship_promise: datetime | None

    def shipment(self, shipment_id: str | None) -> ShipmentFacts | None:
        return next((s for s in self.facts.shipments if s.shipment_id == shipment_id), None)

    def dispute(self, case_id: str | None) -> DisputeFacts | None:
        return next((d for d in self.facts.disputes if d.case_id == case_id), None)

    @property
    def shipped_at(self) -> datetime | None:
        """When the carrier first had any parcel of the order."""
        return min((s.shipped_at for s in self.facts.shipments if s.shipped_at), default=None)

    def common(self, severity: Severity) -> dict[str, Any]:
        return {
            "order_id": self.facts.order_id,
            "seller_id": self.details.seller_id,
            "detected_at": self.now,
            "severity": severity,
        }

    def parcel(self, shipment: ShipmentFacts, severity: Severity) -> dict[str, Any]:
        return {
            **self.common(severity),
            "shipment_id": shipment.shipment_id,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "latest_status": shipment.status or S.UNKNOWN,
            "latest_description": shipment.status_description,
            "latest_scan_at": shipment.last_scan_at,
        }

    def documents_deadline(self, dispute: DisputeFacts) -> DisputeDeadline | None:
        """The case's fixed deadline, or the one it gets if accepted now: the window
        announced with the delivery, else one computed from the shipment now."""
        if dispute.documents_deadline is not None and dispute.expected_delivery is not None:
            return DisputeDeadline(
                dispute.case_id, dispute.expected_delivery, dispute.documents_deadline
            )
        shipment = self.shipment(dispute.shipment_id)
        if shipment is None or shipment.status is not S.DELIVERED:
            return None
        window = shipment.window or self.delivery_window(shipment)
        return DisputeDeadline(dispute.case_id, window.expected_delivery, window.deadline)

    def delivery_window(self, shipment: ShipmentFacts) -> DeliveryWindow:
        """The documents window of a delivered shipment, computed now."""
        expected = expected_delivery_date(
            shipment.estimated_delivery, shipment.delivery_time, self.customer_zone
        )
        deadline = dispute_documents_deadline(
            expected, calendar=self.calendar, zone=self.seller_zone, rules=self.rules
        )
        return DeliveryWindow(shipment.shipment_id, expected, deadline)


@dataclass(frozen=True, slots=True)
class _Watch:
    """A situation that becomes a breach at ``due_at`` (now or later)."""

    due_at: datetime
    subject: str | None = None


class _Rule(ABC):
    """One SLA kind: when it breaches, what its event says, what clears it."""

    kind: SlaKind

    @abstractmethod
    def watch(self, ctx: _Context) -> _Watch | None:
        """The situation to watch while no breach of this kind was raised."""

    @abstractmethod
    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        """The breach event about ``subject`` at tier ``severity``."""

    @abstractmethod
    def cleared(self, ctx: _Context, breach: Breach) -> str | None:
        """Why the open ``breach`` no longer holds, or ``None`` while it does."""


class _Unconfirmed(_Rule):
    kind = K.ORDER_UNCONFIRMED

    def watch(self, ctx: _Context) -> _Watch | None:
        if ctx.facts.confirmed_at is not None:
            return None
        return _Watch(order_unconfirmed_at(ctx.details.placed_at, ctx.rules))

    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        return SlaOrderUnconfirmed(**ctx.common(severity), placed_at=ctx.details.placed_at)

    def cleared(self, ctx: _Context, breach: Breach) -> str | None:
        return "order confirmed" if ctx.facts.confirmed_at is not None else None


class _ShipBy(_Rule):
    kind = K.SHIP_BY_MISSED

    def watch(self, ctx: _Context) -> _Watch | None:
        deadline = ctx.ship_by_deadline
        if deadline is None:
            return None
        shipped_at = ctx.shipped_at
        if shipped_at is not None and shipped_at <= deadline:
            return None
        return _Watch(ship_by_missed_at(deadline, ctx.rules))

    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        deadline = ctx.ship_by_deadline
        assert deadline is not None
        by_age = sorted(ctx.facts.shipments, key=lambda s: s.first_seen_at, reverse=True)
        trackable = [s for s in by_age if s.trackable]
        if not by_age:
            return SlaShipByMissed(
                **ctx.common(severity),
                deadline=deadline,
                missing=MissingShipment.NO_TRACKING_NUMBER,
            )
        latest, missing = (
            (trackable[0], MissingShipment.NEVER_SCANNED)
            if trackable
            else (by_age[0], MissingShipment.INVALID_TRACKING_NUMBER)
        )
        return SlaShipByMissed(
            **ctx.common(severity),
            deadline=deadline,
            missing=missing,
            carrier=latest.carrier,
            tracking_number=latest.tracking_number,
        )

    def cleared(self, ctx: _Context, breach: Breach) -> str | None:
        shipped_at, deadline = ctx.shipped_at, ctx.ship_by_deadline
        if shipped_at is None:
            return None
        if deadline is not None and shipped_at <= deadline:
            return "shipped before the deadline; the scan was reported late"
        return "shipped"


class _ShipPromise(_Rule):
    """The customer's promise: the "not shipped yet" e-mail waits for it."""

    kind = K.SHIP_PROMISE_MISSED

    def watch(self, ctx: _Context) -> _Watch | None:
        promise = ctx.ship_promise
        if promise is None:
            return None
        shipped_at = ctx.shipped_at
        if shipped_at is not None and shipped_at <= promise:
            return None
        return _Watch(ship_by_missed_at(promise, ctx.rules))

    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        assert ctx.ship_promise is not None
        return SlaShipPromiseMissed(
            **ctx.common(severity), promised_by=ctx.ship_promise, large=ctx.details.large
        )

    def cleared(self, ctx: _Context, breach: Breach) -> str | None:
        return None if ctx.shipped_at is None else "shipped"


class _ParcelRule(_Rule):
    """A rule about one shipment: the first one to breach becomes the breach's subject."""

    @abstractmethod
    def due(self, ctx: _Context, shipment: ShipmentFacts) -> datetime | None:
        """When ``shipment`` breaches this rule, if it is watched."""

    def watch(self, ctx: _Context) -> _Watch | None:
        watches = [
            _Watch(due_at, shipment.shipment_id)
            for shipment in ctx.facts.shipments
            if shipment.trackable and (due_at := self.due(ctx, shipment)) is not None
        ]
        return min(watches, key=lambda w: w.due_at, default=None)

    def subject(self, ctx: _Context, subject: str | None) -> ShipmentFacts:
        shipment = ctx.shipment(subject)
        assert shipment is not None, f"{self.kind} breach about an unknown shipment"
        return shipment


class _Late(_ParcelRule):
    kind = K.DELIVERY_LATE

    def due(self, ctx: _Context, shipment: ShipmentFacts) -> datetime | None:
        if shipment.estimated_delivery is None or shipment.status in FINISHED:
            return None
        return delivery_late_at(
            shipment.estimated_delivery, zone=ctx.customer_zone, rules=ctx.rules
        )

    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        shipment = self.subject(ctx, subject)
        assert shipment.estimated_delivery is not None
        return SlaDeliveryLate(
            **ctx.parcel(shipment, severity), estimated_delivery=shipment.estimated_delivery
        )

    def cleared(self, ctx: _Context, breach: Breach) -> str | None:
        status = self.subject(ctx, breach.subject).status
        return str(status).replace("_", " ") if status in FINISHED else None


class _Stalled(_ParcelRule):
    kind = K.TRACKING_STALLED

    def due(self, ctx: _Context, shipment: ShipmentFacts) -> datetime | None:
        if shipment.status not in STALL_WATCHED or shipment.last_scan_at is None:
            return None
        return tracking_stalled_at(
            shipment.last_scan_at, calendar=ctx.calendar, zone=ctx.seller_zone, rules=ctx.rules
        )

    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        return SlaTrackingStalled(**ctx.parcel(self.subject(ctx, subject), severity))

    def cleared(self, ctx: _Context, breach: Breach) -> str | None:
        shipment = self.subject(ctx, breach.subject)
        due_at = self.due(ctx, shipment)
        if due_at is not None and due_at <= ctx.now:
            return None
        return f"new scan ({shipment.status})"


class _CarrierException(_ParcelRule):
    kind = K.CARRIER_EXCEPTION

    def due(self, ctx: _Context, shipment: ShipmentFacts) -> datetime | None:
        return ctx.now if shipment.status in EXCEPTION_STATUSES else None

    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        shipment = self.subject(ctx, subject)
        assert shipment.status is not None
        return SlaCarrierException(
            **ctx.parcel(shipment, severity),
            reason=exception_reason(shipment.status, shipment.status_description),
        )

    def cleared(self, ctx: _Context, breach: Breach) -> str | None:
        status = self.subject(ctx, breach.subject).status
        return None if status in EXCEPTION_STATUSES else f"carrier resumed ({status})"


class _DisputeRule(_Rule):
    """Rules about the first accepted dispute: one on a shipment the carrier shows delivered."""

    def candidates(self, ctx: _Context) -> list[DisputeFacts]:
        """Open cases on a delivered shipment, earliest report first."""
        return sorted(
            (
                dispute
                for dispute in ctx.facts.disputes
                if dispute.resolution is None
                and dispute.reported_at is not None
                and ctx.documents_deadline(dispute) is not None
            ),
            key=lambda dispute: dispute.reported_at or ctx.now,
        )

    def cleared(self, ctx: _Context, breach: Breach) -> str | None:
        dispute = ctx.dispute(breach.subject)
        assert dispute is not None
        if dispute.resolution is not None:
            return f"dispute resolved: {dispute.resolution}"
        return "documents received" if not missing_documents(ctx, breach.subject) else None


def accepted_case(ctx: _Context) -> "_Accepted | None":
    """The case of the ``delivered_disputed`` breach, if it is still open."""
    breach = ctx.facts.breaches.get(K.DELIVERED_DISPUTED)
    dispute = ctx.dispute(breach.subject) if breach else None
    if breach is None or dispute is None or dispute.resolution is not None:
        return None
    deadline = ctx.documents_deadline(dispute)
    return None if deadline is None else _Accepted(dispute, deadline, breach.raised_at)


def dispute_payload(ctx: _Context, case_id: str | None, severity: Severity) -> dict[str, Any]:
    """The fields every dispute event carries."""
    dispute = ctx.dispute(case_id)
    assert dispute is not None and dispute.shipment_id is not None
    shipment = ctx.shipment(dispute.shipment_id)
    deadline = ctx.documents_deadline(dispute)
    assert shipment is not None and deadline is not None
    return {
        **ctx.common(severity),
        "case_id": dispute.case_id,
        "shipment_id": shipment.shipment_id,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "documents_due": deadline.deadline,
    }


def missing_documents(ctx: _Context, case_id: str | None) -> list[DisputeDocument]:
    dispute = ctx.dispute(case_id)
    assert dispute is not None
    return sorted(REQUIRED_DOCUMENTS - dispute.documents)


@dataclass(frozen=True, slots=True)
class _Accepted:
    """The open, accepted case: when it was accepted and its fixed deadline."""

    dispute: DisputeFacts
    deadline: DisputeDeadline
    accepted_at: datetime

    def late_report(self, ctx: _Context) -> bool:
        """Accepted with less than one business day of the window left, or after it."""
        return is_late_report(self.deadline.deadline, self.accepted_at, ctx.seller_zone)


def is_late_report(deadline: datetime, accepted_at: datetime, zone: ZoneInfo) -> bool:
    """Whether a dispute accepted at ``accepted_at`` is a late report for ``deadline``."""
    return accepted_at >= dispute_late_report_from(deadline, zone)


class _Disputed(_DisputeRule):
    kind = K.DELIVERED_DISPUTED

    def watch(self, ctx: _Context) -> _Watch | None:
        found = self.candidates(ctx)
        return _Watch(ctx.now, found[0].case_id) if found else None

    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        dispute = ctx.dispute(subject)
        assert dispute is not None
        shipment = ctx.shipment(dispute.shipment_id)
        deadline = ctx.documents_deadline(dispute)
        assert shipment is not None and deadline is not None
        return SlaDeliveredDisputed(
            **dispute_payload(ctx, subject, severity),
            delivered_at=shipment.delivery_time,
            expected_delivery=deadline.expected_delivery,
            delivery_description=shipment.status_description,
            signed_by=shipment.signed_by,
            late_report=is_late_report(deadline.deadline, ctx.now, ctx.seller_zone),
        )

    def cleared(self, ctx: _Context, breach: Breach) -> str | None:
        dispute = ctx.dispute(breach.subject)
        assert dispute is not None
        return None if dispute.resolution is None else f"dispute resolved: {dispute.resolution}"


class _DocumentsDue(_DisputeRule):
    kind = K.DISPUTE_DOCUMENTS_DUE

    def watch(self, ctx: _Context) -> _Watch | None:
        accepted = accepted_case(ctx)
        if accepted is None or not missing_documents(ctx, accepted.dispute.case_id):
            return None
        if ctx.now > accepted.deadline.deadline or accepted.late_report(ctx):
            return None  # too late for a reminder: the overdue rule speaks
        reminder = dispute_documents_due_at(
            accepted.deadline.expected_delivery,
            calendar=ctx.calendar,
            zone=ctx.seller_zone,
            rules=ctx.rules,
        )
        if reminder <= accepted.accepted_at:
            return None  # the request itself is fresh: no reminder in the same breath
        return _Watch(reminder, accepted.dispute.case_id)

    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        return SlaDisputeDocumentsDue(
            **dispute_payload(ctx, subject, severity),
            missing_documents=missing_documents(ctx, subject),
        )


class _DocumentsOverdue(_DisputeRule):
    kind = K.DISPUTE_DOCUMENTS_OVERDUE

    def watch(self, ctx: _Context) -> _Watch | None:
        accepted = accepted_case(ctx)
        if accepted is None or not missing_documents(ctx, accepted.dispute.case_id):
            return None
        due_at = dispute_documents_overdue_at(
            accepted.deadline.deadline,
            accepted.accepted_at,
            calendar=ctx.calendar,
            zone=ctx.seller_zone,
        )
        return _Watch(due_at, accepted.dispute.case_id)

    def event(self, ctx: _Context, subject: str | None, severity: Severity) -> EventData:
        return SlaDisputeDocumentsOverdue(
            **dispute_payload(ctx, subject, severity),
            missing_documents=missing_documents(ctx, subject),
        )


RULES: tuple[_Rule, ...] = (
    _Unconfirmed(),
    _ShipBy(),
    _ShipPromise(),
    _CarrierException(),
    _Late(),
    _Stalled(),
    _Disputed(),
    _DocumentsDue(),
    _DocumentsOverdue(),
)
"""In evaluation order: the dispute's follow-ups come after the dispute itself."""


# --- assessment -------------------------------------------------------------------------

CalendarOf = Callable[[OrderDetails], BusinessCalendar]


def assess(
    facts: OrderFacts, *, now: datetime, rules: SlaRules, calendar_of: CalendarOf
) -> Assessment:
    """The SLA events due for ``facts`` at ``now`` and the timers of the next look.

    A verdict never goes back before one already made for the order: ``now`` is taken no
    earlier than the latest breach raised or resolved (the watermark callers pass can be
    earlier than a sweep made before the consumers fell behind).
    """
    now = max(
        [
            now,
            *(b.raised_at for b in facts.breaches.values()),
            *(b.resolved_at for b in facts.breaches.values() if b.resolved_at is not None),
        ]
    )
    details = facts.details
    if details is None:
        return Assessment(OrderState.PENDING)
    emissions: list[Emission] = []
    changed: dict[SlaKind, Breach] = {}

    def resolve(breach: Breach, reason: str) -> None:
        changed[breach.kind] = replace(breach, resolved_at=now, resolution=reason)
        shipment = next((s for s in facts.shipments if s.shipment_id == breach.subject), None)
        emissions.append(
            Emission(
                resolved_event_id(facts.order_id, breach.kind),
                SlaResolved(
                    order_id=facts.order_id,
                    seller_id=details.seller_id,
                    resolved_kind=breach.kind,
                    reason=reason,
                    resolved_at=now,
                    latest_status=shipment.status if shipment else None,
                ),
                breach.kind,
                None,
            )
        )

    stopped = _stopped(facts)
    if stopped is not None:
        state, why = stopped
        for breach in facts.breaches.values():
            if breach.resolved_at is None:
                resolve(breach, why)
        return Assessment(state, emissions=tuple(emissions), breaches=tuple(changed.values()))

    calendar = calendar_of(details)
    seller_zone = ZoneInfo(details.seller_time_zone)
    confirmed_at = facts.confirmed_at
    ctx = _Context(
        facts=facts,
        details=details,
        now=now,
        rules=rules,
        calendar=calendar,
        seller_zone=seller_zone,
        customer_zone=ZoneInfo(details.customer_time_zone),
        ship_by_deadline=None
        if confirmed_at is None
        else ship_by_deadline(
            confirmed_at, large=details.large, calendar=calendar, zone=seller_zone, rules=rules
        ),
        ship_promise=None
        if confirmed_at is None
        else customer_ship_promise(
            confirmed_at, large=details.large, calendar=calendar, zone=seller_zone, rules=rules
        ),
    )
    windows = _delivery_windows(ctx)
    emissions.extend(_delivered_notices(ctx, windows))
    timers: dict[str, datetime] = {}
    escalations: list[datetime] = []
    deadlines: list[DisputeDeadline] = []
    for rule in RULES:
        found = ctx.facts.breaches.get(rule.kind)
        if found is None:
            watch = rule.watch(ctx)
            if watch is None:
                continue
            if watch.due_at > now:
                timers[_TIMER_OF[rule.kind]] = watch.due_at
                continue
            emissions.append(
                Emission(
                    breach_event_id(facts.order_id, rule.kind, Severity.SELLER),
                    rule.event(ctx, watch.subject, Severity.SELLER),
                    rule.kind,
                    Severity.SELLER,
                )
            )
            found = changed[rule.kind] = Breach(rule.kind, Severity.SELLER, now, watch.subject)
            # later rules (the dispute's follow-ups) see the breach just raised
            ctx = replace(ctx, facts=replace(ctx.facts, breaches={**ctx.facts.breaches, **changed}))
            if rule.kind is K.DELIVERED_DISPUTED:
                dispute = ctx.dispute(watch.subject)
                assert dispute is not None
                fixed = ctx.documents_deadline(dispute)
                assert fixed is not None
                deadlines.append(fixed)
        breach = found
        if breach.resolved_at is not None:
            continue
        if reason := rule.cleared(ctx, breach):
            resolve(breach, reason)
            continue
        if rule.kind not in ESCALATING:
            continue
        escalation = next_escalation(breach.severity, breach.raised_at, rules)
        if escalation is None:
            continue
        if escalation.due_at > now:
            escalations.append(escalation.due_at)
            continue
        emissions.append(
            Emission(
                breach_event_id(facts.order_id, rule.kind, escalation.severity),
                rule.event(ctx, breach.subject, escalation.severity),
                rule.kind,
                escalation.severity,
            )
        )
        changed[rule.kind] = replace(breach, severity=escalation.severity, raised_at=now)

    received = _documents_received(ctx)
    if received is not None:
        emissions.append(received)

    return Assessment(
        state=_state(facts),
        ship_by_deadline=ctx.ship_by_deadline,
        ship_promise=ctx.ship_promise,
        timers=Timers(**timers, escalation_due_at=min(escalations, default=None)),
        emissions=tuple(emissions),
        breaches=tuple(changed.values()),
        dispute_deadlines=tuple(deadlines),
        delivery_windows=tuple(windows),
        documents_noticed=() if received is None else (received.subject,),
    )


def _stopped(facts: OrderFacts) -> tuple[OrderState, str] | None:
    """An order that will not ship (cancelled, payment declined): its state and why."""
    if facts.cancelled_at is not None:
        return OrderState.CANCELLED, "order cancelled"
    if facts.payment_declined_at is not None and facts.confirmed_at is None:
        return OrderState.DECLINED, "payment declined"
    return None


def _delivery_windows(ctx: _Context) -> list[DeliveryWindow]:
    """The documents windows to fix now: delivered shipments whose delivery was reported."""
    return [
        ctx.delivery_window(shipment)
        for shipment in ctx.facts.shipments
        if shipment.status is S.DELIVERED
        and shipment.delivery_reported
        and shipment.window is None
        and shipment.delivery_time is not None
    ]


def _delivered_notices(ctx: _Context, windows: list[DeliveryWindow]) -> list[Emission]:
    """``sla.delivered`` for each window fixed now, unless the customer already reported
    a dispute (the dispute's messages then say more than the notice would)."""
    if any(dispute.reported_at is not None for dispute in ctx.facts.disputes):
        return []
    notices = []
    for window in windows:
        shipment = ctx.shipment(window.shipment_id)
        assert shipment is not None and shipment.delivery_time is not None
        data = SlaDelivered(
            **ctx.common(Severity.SELLER),
            shipment_id=shipment.shipment_id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            delivered_at=shipment.delivery_time,
            delivery_description=shipment.status_description,
            signed_by=shipment.signed_by,
            expected_delivery=window.expected_delivery,
            documents_due=window.deadline,
        )
        event_id = notice_event_id(ctx.facts.order_id, K.DELIVERED, shipment.shipment_id)
        notices.append(
            Emission(event_id, data, K.DELIVERED, None, notice=True, subject=shipment.shipment_id)
        )
    return notices


def _documents_received(ctx: _Context) -> Emission | None:
    """``sla.dispute_documents_received`` once every document of the open case is in."""
    accepted = accepted_case(ctx)
    if accepted is None or accepted.dispute.documents_noticed:
        return None
    case_id = accepted.dispute.case_id
    if missing_documents(ctx, case_id):
        return None
    late = accepted.late_report(ctx) or K.DISPUTE_DOCUMENTS_OVERDUE in ctx.facts.breaches
    data = SlaDisputeDocumentsReceived(**dispute_payload(ctx, case_id, Severity.SELLER), late=late)
    event_id = notice_event_id(ctx.facts.order_id, K.DISPUTE_DOCUMENTS_RECEIVED, case_id)
    return Emission(
        event_id, data, K.DISPUTE_DOCUMENTS_RECEIVED, None, notice=True, subject=case_id
    )


def _state(facts: OrderFacts) -> OrderState:
    if any(d.resolution is None and d.reported_at is not None for d in facts.disputes):
        return OrderState.DISPUTED
    statuses = [s.status for s in facts.shipments if s.shipped_at is not None]
    if S.RETURNED_TO_SENDER in statuses:
        return OrderState.RETURNED
    if statuses and all(status is S.DELIVERED for status in statuses):
        return OrderState.DELIVERED
    if statuses:
        return OrderState.IN_TRANSIT
    if facts.confirmed_at is not None:
        return OrderState.AWAITING_SHIPMENT
    return OrderState.UNCONFIRMED
