"""Keeps the carrier performance and trend gauges fresh (a background task), for the
Grafana panels that show what the ops page charts."""

import math
from collections import Counter
from datetime import timedelta

from services.sla import analytics_queries as queries
from services.sla.periodic import PeriodicGauges
from services.sla.scorecard import Ratio
from shared.contracts.events import SlaKind

WINDOW_DAYS = 7
"""The carrier gauges count the journeys that ended in the last 7 days, today included."""


def _value(value: float | None) -> float:
    return math.nan if value is None else value


class AnalyticsGauges(PeriodicGauges):
    """Recomputes the ``parcelwatch_sla_carrier_*``, ``…_breaches_last_day`` and
    ``…_disputes_last_week`` gauges every ``interval`` seconds."""

    async def refresh(self) -> None:
        now = self._clock.now()
        today = queries.utc_date(now)
        found = await queries.performance(self._pool, queries.first_day(today, WINDOW_DAYS), today)
        breaches: Counter[tuple[str, str]] = Counter()
        for change, kind, _, n in await queries.breaches_by_day(
            self._pool, now - timedelta(days=1), now
        ):
            breaches[kind, change] += n
        disputes: Counter[str] = Counter()
        for change, _, n in await queries.disputes_by_week(
            self._pool, now - timedelta(days=7), now
        ):
            disputes[change] += n
        # Everything is read: replace the series at once (no await below).
        m = self._metrics
        for gauge in (m.carrier_transit, m.carrier_first_scan, m.carrier_ratio, m.carrier_journeys):
            gauge.clear()
        for carrier, p in found.carriers.items():
            m.carrier_journeys.labels(carrier).set(p.shipments)
            for quantile, transit, first_scan in (
                ("0.5", p.transit.p50, p.first_scan.p50),
                ("0.9", p.transit.p90, p.first_scan.p90),
            ):
                m.carrier_transit.labels(carrier, quantile).set(_value(transit))
                m.carrier_first_scan.labels(carrier, quantile).set(_value(first_scan))
            rates: dict[str, Ratio] = {
                "on_time": p.on_time,
                "exception": p.exception,
                "delivery_attempt": p.attempt,
                "return_to_sender": p.returned,
            }
            for rate, ratio in rates.items():
                m.carrier_ratio.labels(carrier, rate).set(_value(ratio.rate))
        for kind in SlaKind:
            for change in ("opened", "resolved"):
                m.breaches_last_day.labels(kind.value, change).set(breaches[kind.value, change])
        for change in ("reported", "resolved"):
            m.disputes_last_week.labels(change).set(disputes[change])
