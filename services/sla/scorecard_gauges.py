"""Keeps the marketplace-wide scorecard gauges fresh (a background task)."""

import math

from services.sla import queries
from services.sla.periodic import PeriodicGauges
from services.sla.scorecard import scorecard


class ScorecardGauges(PeriodicGauges):
    """Recomputes ``parcelwatch_sla_scorecard_ratio`` every ``interval`` seconds."""

    async def refresh(self) -> None:
        now = self._clock.now()
        for window in scorecard(await queries.scorecard_records(self._pool, now), now):
            for rate, ratio in window.ratios.items():
                value = math.nan if ratio.rate is None else ratio.rate
                self._metrics.scorecard.labels(rate.value, f"{window.days}d").set(value)
