"""The use case every input leads to: load an order's facts, assess them, save and emit."""

from collections.abc import Sequence
from datetime import datetime

from services.sla import store
from services.sla.assessment import OrderDetails, assess
from services.sla.calendar import BusinessCalendar
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.rules import SlaRules
from shared.contracts.envelope import new_event
from shared.infra import outbox
from shared.infra.db import Connection

SCHEMA = "sla"
SOURCE = "parcelwatch/sla"


class SlaService:
    """Reassesses orders and writes the outcome with its events, in the caller's transaction."""

    def __init__(self, *, rules: SlaRules, calendars: Calendars, metrics: SlaMetrics) -> None:
        self.rules = rules
        self.calendars = calendars
        self._metrics = metrics

    def calendar_of(self, details: OrderDetails) -> BusinessCalendar:
        return self.calendars.for_seller(
            details.seller_country, details.seller_subdivision, details.marketplace
        )

    async def reassess(self, conn: Connection, order_ids: Sequence[str], now: datetime) -> int:
        """Assess the (locked) orders at ``now``; returns how many SLA events were emitted.

        Counts go to the metrics before the caller commits: a rolled-back transaction that
        is retried counts its events twice.
        """
        assessed = [
            (facts.order_id, assess(facts, now=now, rules=self.rules, calendar_of=self.calendar_of))
            for facts in await store.load(conn, order_ids)
        ]
        await store.save(conn, assessed)
        emissions = [e for _, assessment in assessed for e in assessment.emissions]
        await outbox.enqueue(
            conn,
            SCHEMA,
            (new_event(e.data, SOURCE, event_id=e.event_id, time=now) for e in emissions),
        )
        for emission in emissions:
            if emission.notice:
                self._metrics.notices.labels(emission.kind.value).inc()
            elif emission.severity is None:
                self._metrics.resolved.labels(emission.kind.value).inc()
            else:
                self._metrics.breaches.labels(emission.kind.value, emission.severity.value).inc()
        return len(emissions)
