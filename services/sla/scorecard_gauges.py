"""Keeps the marketplace-wide scorecard gauges fresh (a background task)."""

import asyncio
import contextlib
import logging
import math

import asyncpg

from services.sla import queries
from services.sla.metrics import SlaMetrics
from services.sla.scorecard import scorecard
from shared.infra.clock import Clock

log = logging.getLogger(__name__)


class ScorecardGauges:
    """Recomputes ``parcelwatch_sla_scorecard_ratio`` every ``interval`` seconds."""

    def __init__(
        self, pool: asyncpg.Pool, clock: Clock, metrics: SlaMetrics, *, interval: float
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._metrics = metrics
        self._interval = interval

    async def refresh(self) -> None:
        now = self._clock.now()
        for window in scorecard(await queries.scorecard_records(self._pool, now), now):
            for rate, ratio in window.ratios.items():
                value = math.nan if ratio.rate is None else ratio.rate
                self._metrics.scorecard.labels(rate.value, f"{window.days}d").set(value)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception:
                log.exception("scorecard refresh failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
