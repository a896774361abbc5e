"""Gauges recomputed from the sla schema in the background (a service task)."""

import asyncio
import contextlib
import logging

import asyncpg

from services.sla.metrics import SlaMetrics
from shared.infra.clock import Clock

log = logging.getLogger(__name__)


class PeriodicGauges:
    """Calls :meth:`refresh` every ``interval`` seconds until stopped; a failed refresh is
    logged and tried again at the next one."""

    def __init__(
        self, pool: asyncpg.Pool, clock: Clock, metrics: SlaMetrics, *, interval: float
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._metrics = metrics
        self._interval = interval

    async def refresh(self) -> None:
        raise NotImplementedError

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception:
                log.exception("%s refresh failed", type(self).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
