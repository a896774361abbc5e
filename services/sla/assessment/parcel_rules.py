"""Rules about each parcel: delivered by its estimate, moving, not held by a carrier
exception."""

import re
from abc import abstractmethod
from datetime import datetime

from services.sla.assessment.facts import ShipmentFacts
from services.sla.assessment.rule import Context, Rule, Watch
from services.sla.assessment.verdict import Breach
from services.sla.deadlines import delivery_late_at, tracking_stalled_at
from shared.contracts.events import (
    EventData,
    ExceptionReason,
    Severity,
    SlaCarrierException,
    SlaDeliveryLate,
    SlaKind,
    SlaTrackingStalled,
)
from shared.contracts.statuses import TrackingStatus

STALL_WATCHED: frozenset[TrackingStatus] = frozenset(
    {TrackingStatus.IN_TRANSIT, TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.DELIVERY_ATTEMPTED}
)
"""Statuses in which a parcel is expected to get new scans (not waiting at a pickup point,
not held by an exception, not finished)."""


EXCEPTION_STATUSES: frozenset[TrackingStatus] = frozenset(
    {TrackingStatus.EXCEPTION, TrackingStatus.RETURNED_TO_SENDER}
)


FINISHED: frozenset[TrackingStatus] = frozenset(
    {TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.CANCELLED}
)
"""Statuses after which a parcel can no longer be late."""


_LOST = re.compile(r"\b(lost|missing|cannot be located|not located)\b", re.IGNORECASE)


_DAMAGED = re.compile(r"\bdamage", re.IGNORECASE)


_RETURNED = re.compile(r"\breturn(ed|ing)?\b.*\b(sender|shipper)\b", re.IGNORECASE)


def exception_reason(status: TrackingStatus, description: str | None) -> ExceptionReason:
    """Classify a carrier exception by its status and the carrier's own text."""
    text = description or ""
    if status is TrackingStatus.RETURNED_TO_SENDER or _RETURNED.search(text):
        return ExceptionReason.RETURNED_TO_SENDER
    if _LOST.search(text):
        return ExceptionReason.LOST
    if _DAMAGED.search(text):
        return ExceptionReason.DAMAGED
    return ExceptionReason.OTHER


class ParcelRule(Rule):
    """A rule about one shipment: the first one to breach becomes the breach's subject."""

    @abstractmethod
    def due(self, ctx: Context, shipment: ShipmentFacts) -> datetime | None:
        """When ``shipment`` breaches this rule, if it is watched."""

    def watch(self, ctx: Context) -> Watch | None:
        watches = [
            Watch(due_at, shipment.shipment_id)
            for shipment in ctx.facts.shipments
            if shipment.trackable and (due_at := self.due(ctx, shipment)) is not None
        ]
        return min(watches, key=lambda w: w.due_at, default=None)

    def subject(self, ctx: Context, subject: str | None) -> ShipmentFacts:
        shipment = ctx.shipment(subject)
        assert shipment is not None, f"{self.kind} breach about an unknown shipment"
        return shipment


class Late(ParcelRule):
    kind = SlaKind.DELIVERY_LATE

    def due(self, ctx: Context, shipment: ShipmentFacts) -> datetime | None:
        if shipment.estimated_delivery is None or shipment.status in FINISHED:
            return None
        return delivery_late_at(
            shipment.estimated_delivery, zone=ctx.customer_zone, rules=ctx.rules
        )

    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
        shipment = self.subject(ctx, subject)
        assert shipment.estimated_delivery is not None
        return SlaDeliveryLate(
            **ctx.parcel(shipment, severity), estimated_delivery=shipment.estimated_delivery
        )

    def cleared(self, ctx: Context, breach: Breach) -> str | None:
        status = self.subject(ctx, breach.subject).status
        return str(status).replace("_", " ") if status in FINISHED else None


class Stalled(ParcelRule):
    kind = SlaKind.TRACKING_STALLED

    def due(self, ctx: Context, shipment: ShipmentFacts) -> datetime | None:
        if shipment.status not in STALL_WATCHED or shipment.last_scan_at is None:
            return None
        return tracking_stalled_at(
            shipment.last_scan_at, calendar=ctx.calendar, zone=ctx.seller_zone, rules=ctx.rules
        )

    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
        return SlaTrackingStalled(**ctx.parcel(self.subject(ctx, subject), severity))

    def cleared(self, ctx: Context, breach: Breach) -> str | None:
        shipment = self.subject(ctx, breach.subject)
        due_at = self.due(ctx, shipment)
        if due_at is not None and due_at <= ctx.now:
            return None
        return f"new scan ({shipment.status})"


class CarrierException(ParcelRule):
    kind = SlaKind.CARRIER_EXCEPTION

    def due(self, ctx: Context, shipment: ShipmentFacts) -> datetime | None:
        return ctx.now if shipment.status in EXCEPTION_STATUSES else None

    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
        shipment = self.subject(ctx, subject)
        assert shipment.status is not None
        return SlaCarrierException(
            **ctx.parcel(shipment, severity),
            reason=exception_reason(shipment.status, shipment.status_description),
        )

    def cleared(self, ctx: Context, breach: Breach) -> str | None:
        status = self.subject(ctx, breach.subject).status
        return None if status in EXCEPTION_STATUSES else f"carrier resumed ({status})"
