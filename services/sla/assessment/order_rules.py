"""Rules about the order itself: confirmed in time, shipped by the seller's deadline and by
the customer's promise."""

from services.sla.assessment.rule import Context, Rule, Watch
from services.sla.assessment.verdict import Breach
from services.sla.deadlines import order_unconfirmed_at, ship_by_missed_at
from shared.contracts.events import (
    EventData,
    MissingShipment,
    Severity,
    SlaKind,
    SlaOrderUnconfirmed,
    SlaShipByMissed,
    SlaShipPromiseMissed,
)


class Unconfirmed(Rule):
    kind = SlaKind.ORDER_UNCONFIRMED

    def watch(self, ctx: Context) -> Watch | None:
        if ctx.facts.confirmed_at is not None:
            return None
        return Watch(order_unconfirmed_at(ctx.details.placed_at, ctx.rules))

    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
        return SlaOrderUnconfirmed(**ctx.common(severity), placed_at=ctx.details.placed_at)

    def cleared(self, ctx: Context, breach: Breach) -> str | None:
        return "order confirmed" if ctx.facts.confirmed_at is not None else None


class ShipBy(Rule):
    kind = SlaKind.SHIP_BY_MISSED

    def watch(self, ctx: Context) -> Watch | None:
        deadline = ctx.ship_by_deadline
        if deadline is None:
            return None
        shipped_at = ctx.shipped_at
        if shipped_at is not None and shipped_at <= deadline:
            return None
        return Watch(ship_by_missed_at(deadline, ctx.rules))

    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
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

    def cleared(self, ctx: Context, breach: Breach) -> str | None:
        shipped_at, deadline = ctx.shipped_at, ctx.ship_by_deadline
        if shipped_at is None:
            return None
        if deadline is not None and shipped_at <= deadline:
            return "shipped before the deadline; the scan was reported late"
        return "shipped"


class ShipPromise(Rule):
    """The customer's promise: the "not shipped yet" e-mail waits for it."""

    kind = SlaKind.SHIP_PROMISE_MISSED

    def watch(self, ctx: Context) -> Watch | None:
        promise = ctx.ship_promise
        if promise is None:
            return None
        shipped_at = ctx.shipped_at
        if shipped_at is not None and shipped_at <= promise:
            return None
        return Watch(ship_by_missed_at(promise, ctx.rules))

    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
        assert ctx.ship_promise is not None
        return SlaShipPromiseMissed(
            **ctx.common(severity), promised_by=ctx.ship_promise, large=ctx.details.large
        )

    def cleared(self, ctx: Context, breach: Breach) -> str | None:
        return None if ctx.shipped_at is None else "shipped"
