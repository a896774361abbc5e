"""What an assessment decides: the SLA events to emit (with deterministic ids), the breach
records raised, escalated or resolved, the deadlines fixed and the timers of the next look."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from shared.contracts.events import EventData, Severity, SlaKind


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
