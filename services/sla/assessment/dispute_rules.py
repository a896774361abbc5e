"""Rules about a delivered-but-not-received dispute: the dispute itself, then its documents,
due and overdue, within the claim window fixed when it was accepted."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.sla.assessment.facts import DisputeFacts
from services.sla.assessment.rule import Context, Rule, Watch
from services.sla.assessment.verdict import Breach, DisputeDeadline
from services.sla.deadlines import (
    dispute_documents_due_at,
    dispute_documents_overdue_at,
    dispute_late_report_from,
)
from shared.contracts.events import (
    DisputeDocument,
    EventData,
    Severity,
    SlaDeliveredDisputed,
    SlaDisputeDocumentsDue,
    SlaDisputeDocumentsOverdue,
    SlaKind,
)

REQUIRED_DOCUMENTS: frozenset[DisputeDocument] = frozenset(DisputeDocument)


class DisputeRule(Rule):
    """Rules about the first accepted dispute: one on a shipment the carrier shows delivered."""

    def candidates(self, ctx: Context) -> list[DisputeFacts]:
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

    def cleared(self, ctx: Context, breach: Breach) -> str | None:
        dispute = ctx.dispute(breach.subject)
        assert dispute is not None
        if dispute.resolution is not None:
            return f"dispute resolved: {dispute.resolution}"
        return "documents received" if not missing_documents(ctx, breach.subject) else None


def accepted_case(ctx: Context) -> "Accepted | None":
    """The case of the ``delivered_disputed`` breach, if it is still open."""
    breach = ctx.facts.breaches.get(SlaKind.DELIVERED_DISPUTED)
    dispute = ctx.dispute(breach.subject) if breach else None
    if breach is None or dispute is None or dispute.resolution is not None:
        return None
    deadline = ctx.documents_deadline(dispute)
    return None if deadline is None else Accepted(dispute, deadline, breach.raised_at)


def dispute_payload(ctx: Context, case_id: str | None, severity: Severity) -> dict[str, Any]:
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


def missing_documents(ctx: Context, case_id: str | None) -> list[DisputeDocument]:
    dispute = ctx.dispute(case_id)
    assert dispute is not None
    return sorted(REQUIRED_DOCUMENTS - dispute.documents)


@dataclass(frozen=True, slots=True)
class Accepted:
    """The open, accepted case: when it was accepted and its fixed deadline."""

    dispute: DisputeFacts
    deadline: DisputeDeadline
    accepted_at: datetime

    def late_report(self, ctx: Context) -> bool:
        """Accepted with less than one business day of the window left, or after it."""
        return is_late_report(self.deadline.deadline, self.accepted_at, ctx.seller_zone)


def is_late_report(deadline: datetime, accepted_at: datetime, zone: ZoneInfo) -> bool:
    """Whether a dispute accepted at ``accepted_at`` is a late report for ``deadline``."""
    return accepted_at >= dispute_late_report_from(deadline, zone)


class Disputed(DisputeRule):
    kind = SlaKind.DELIVERED_DISPUTED

    def watch(self, ctx: Context) -> Watch | None:
        found = self.candidates(ctx)
        return Watch(ctx.now, found[0].case_id) if found else None

    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
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

    def cleared(self, ctx: Context, breach: Breach) -> str | None:
        dispute = ctx.dispute(breach.subject)
        assert dispute is not None
        return None if dispute.resolution is None else f"dispute resolved: {dispute.resolution}"


class DocumentsDue(DisputeRule):
    kind = SlaKind.DISPUTE_DOCUMENTS_DUE

    def watch(self, ctx: Context) -> Watch | None:
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
        return Watch(reminder, accepted.dispute.case_id)

    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
        return SlaDisputeDocumentsDue(
            **dispute_payload(ctx, subject, severity),
            missing_documents=missing_documents(ctx, subject),
        )


class DocumentsOverdue(DisputeRule):
    kind = SlaKind.DISPUTE_DOCUMENTS_OVERDUE

    def watch(self, ctx: Context) -> Watch | None:
        accepted = accepted_case(ctx)
        if accepted is None or not missing_documents(ctx, accepted.dispute.case_id):
            return None
        due_at = dispute_documents_overdue_at(
            accepted.deadline.deadline,
            accepted.accepted_at,
            calendar=ctx.calendar,
            zone=ctx.seller_zone,
        )
        return Watch(due_at, accepted.dispute.case_id)

    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
        return SlaDisputeDocumentsOverdue(
            **dispute_payload(ctx, subject, severity),
            missing_documents=missing_documents(ctx, subject),
        )
