"""The assessment: every rule in turn raises its breach when due (or sets its timer), then
resolves or escalates the open one; the notices follow."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.sla.assessment.dispute_rules import Disputed, DocumentsDue, DocumentsOverdue
from services.sla.assessment.facts import OrderDetails, OrderFacts
from services.sla.assessment.notices import delivered_notices, delivery_windows, documents_received
from services.sla.assessment.order_rules import ShipBy, ShipPromise, Unconfirmed
from services.sla.assessment.parcel_rules import CarrierException, Late, Stalled
from services.sla.assessment.rule import Context, Rule, Watch
from services.sla.assessment.verdict import (
    Assessment,
    Breach,
    DisputeDeadline,
    Emission,
    OrderState,
    Timers,
    breach_event_id,
    resolved_event_id,
)
from services.sla.calendar import BusinessCalendar
from services.sla.escalation import next_escalation
from services.sla.rules import SlaRules
from shared.contracts.events import Severity, SlaKind, SlaResolved
from shared.contracts.statuses import TrackingStatus

ESCALATING: frozenset[SlaKind] = frozenset(
    {
        SlaKind.SHIP_BY_MISSED,
        SlaKind.DELIVERY_LATE,
        SlaKind.TRACKING_STALLED,
        SlaKind.CARRIER_EXCEPTION,
        SlaKind.DISPUTE_DOCUMENTS_OVERDUE,
    }
)
"""Breaches that go to the ops tier when still open ``escalate_after`` later. Reminders
(documents due, order unconfirmed) and the dispute itself (whose follow-up is the
documents deadline) stay with their first tier."""


_TIMER_OF: dict[SlaKind, str] = {
    SlaKind.ORDER_UNCONFIRMED: "confirmation_due_at",
    SlaKind.SHIP_BY_MISSED: "ship_by_due_at",
    SlaKind.SHIP_PROMISE_MISSED: "ship_promise_due_at",
    SlaKind.DELIVERY_LATE: "delivery_due_at",
    SlaKind.TRACKING_STALLED: "stall_due_at",
    SlaKind.DISPUTE_DOCUMENTS_DUE: "documents_reminder_at",
    SlaKind.DISPUTE_DOCUMENTS_OVERDUE: "documents_overdue_at",
}


RULES: tuple[Rule, ...] = (
    Unconfirmed(),
    ShipBy(),
    ShipPromise(),
    CarrierException(),
    Late(),
    Stalled(),
    Disputed(),
    DocumentsDue(),
    DocumentsOverdue(),
)
"""In evaluation order: the dispute's follow-ups come after the dispute itself."""


CalendarOf = Callable[[OrderDetails], BusinessCalendar]


def assess(
    facts: OrderFacts, *, now: datetime, rules: SlaRules, calendar_of: CalendarOf
) -> Assessment:
    """The SLA events due for ``facts`` at ``now`` and the timers of the next look."""
    now = _not_before_a_verdict_made(facts, now)
    details = facts.details
    if details is None:
        return Assessment(OrderState.PENDING)
    verdict = _Verdict(facts, details, now)
    stopped = _stopped(facts)
    if stopped is not None:
        state, why = stopped
        for breach in facts.breaches.values():
            if breach.resolved_at is None:
                verdict.resolve(breach, why)
        return Assessment(
            state, emissions=tuple(verdict.emissions), breaches=tuple(verdict.changed.values())
        )
    ctx = Context.of(facts, details, now, rules, calendar_of(details))
    windows = delivery_windows(ctx)
    verdict.emissions += delivered_notices(ctx, windows)
    for rule in RULES:
        ctx = verdict.judge(rule, ctx)
    received = documents_received(ctx)
    if received is not None:
        verdict.emissions.append(received)
    return Assessment(
        state=_state(facts),
        ship_by_deadline=ctx.ship_by_deadline,
        ship_promise=ctx.ship_promise,
        timers=Timers(**verdict.timers, escalation_due_at=min(verdict.escalations, default=None)),
        emissions=tuple(verdict.emissions),
        breaches=tuple(verdict.changed.values()),
        dispute_deadlines=tuple(verdict.deadlines),
        delivery_windows=tuple(windows),
        documents_noticed=() if received is None else (received.subject,),
    )


def _not_before_a_verdict_made(facts: OrderFacts, now: datetime) -> datetime:
    """``now``, or the latest breach raised or resolved when later: a verdict never goes back
    before one already made for the order (the watermark callers pass can be earlier than
    a sweep made before the consumers fell behind)."""
    return max(
        [
            now,
            *(b.raised_at for b in facts.breaches.values()),
            *(b.resolved_at for b in facts.breaches.values() if b.resolved_at is not None),
        ]
    )


@dataclass
class _Verdict:
    """What the rules decide at ``now``, gathered rule by rule."""

    facts: OrderFacts
    details: OrderDetails
    now: datetime
    emissions: list[Emission] = field(default_factory=list)
    changed: dict[SlaKind, Breach] = field(default_factory=dict)
    """Breach records raised, escalated or resolved, by kind."""
    timers: dict[str, datetime] = field(default_factory=dict)
    escalations: list[datetime] = field(default_factory=list)
    deadlines: list[DisputeDeadline] = field(default_factory=list)

    def judge(self, rule: Rule, ctx: Context) -> Context:
        """Raise ``rule``'s breach when due (else set its timer), then resolve or escalate
        the open breach; returns the context the next rules read."""
        breach = ctx.facts.breaches.get(rule.kind)
        if breach is None:
            watch = rule.watch(ctx)
            if watch is None:
                return ctx
            if watch.due_at > self.now:
                self.timers[_TIMER_OF[rule.kind]] = watch.due_at
                return ctx
            breach, ctx = self._raise(rule, ctx, watch)
        if breach.resolved_at is not None:
            return ctx
        if reason := rule.cleared(ctx, breach):
            self.resolve(breach, reason)
        elif rule.kind in ESCALATING:
            self._escalate(rule, ctx, breach)
        return ctx

    def resolve(self, breach: Breach, reason: str) -> None:
        self.changed[breach.kind] = replace(breach, resolved_at=self.now, resolution=reason)
        shipments = self.facts.shipments
        shipment = next((s for s in shipments if s.shipment_id == breach.subject), None)
        self.emissions.append(
            Emission(
                resolved_event_id(self.facts.order_id, breach.kind),
                SlaResolved(
                    order_id=self.facts.order_id,
                    seller_id=self.details.seller_id,
                    resolved_kind=breach.kind,
                    reason=reason,
                    resolved_at=self.now,
                    latest_status=shipment.status if shipment else None,
                ),
                breach.kind,
                None,
            )
        )

    def _raise(self, rule: Rule, ctx: Context, watch: Watch) -> tuple[Breach, Context]:
        """``rule``'s breach at the seller tier, now, and the context the next rules read:
        they (the dispute's follow-ups) see the breach just raised."""
        self._emit(rule, ctx, watch.subject, Severity.SELLER)
        breach = Breach(rule.kind, Severity.SELLER, self.now, watch.subject)
        self.changed[rule.kind] = breach
        ctx = replace(
            ctx, facts=replace(ctx.facts, breaches={**ctx.facts.breaches, **self.changed})
        )
        if rule.kind is SlaKind.DELIVERED_DISPUTED:
            dispute = ctx.dispute(watch.subject)
            assert dispute is not None
            fixed = ctx.documents_deadline(dispute)
            assert fixed is not None
            self.deadlines.append(fixed)
        return breach, ctx

    def _escalate(self, rule: Rule, ctx: Context, breach: Breach) -> None:
        """Take the open ``breach`` to its next tier when due (else remember when)."""
        escalation = next_escalation(breach.severity, breach.raised_at, ctx.rules)
        if escalation is None:
            return
        if escalation.due_at > self.now:
            self.escalations.append(escalation.due_at)
            return
        self._emit(rule, ctx, breach.subject, escalation.severity)
        self.changed[rule.kind] = replace(breach, severity=escalation.severity, raised_at=self.now)

    def _emit(self, rule: Rule, ctx: Context, subject: str | None, severity: Severity) -> None:
        self.emissions.append(
            Emission(
                breach_event_id(self.facts.order_id, rule.kind, severity),
                rule.event(ctx, subject, severity),
                rule.kind,
                severity,
            )
        )


def _stopped(facts: OrderFacts) -> tuple[OrderState, str] | None:
    """An order that will not ship (cancelled, payment declined): its state and why."""
    if facts.cancelled_at is not None:
        return OrderState.CANCELLED, "order cancelled"
    if facts.payment_declined_at is not None and facts.confirmed_at is None:
        return OrderState.DECLINED, "payment declined"
    return None


def _state(facts: OrderFacts) -> OrderState:
    if any(d.resolution is None and d.reported_at is not None for d in facts.disputes):
        return OrderState.DISPUTED
    statuses = [s.status for s in facts.shipments if s.shipped_at is not None]
    if TrackingStatus.RETURNED_TO_SENDER in statuses:
        return OrderState.RETURNED
    if statuses and all(status is TrackingStatus.DELIVERED for status in statuses):
        return OrderState.DELIVERED
    if statuses:
        return OrderState.IN_TRANSIT
    if facts.confirmed_at is not None:
        return OrderState.AWAITING_SHIPMENT
    return OrderState.UNCONFIRMED
