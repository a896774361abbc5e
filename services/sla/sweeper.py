"""The sweeper: finds orders whose deadline fell due and reassesses them, in batches.

One indexed query (``orders_next_due_idx``) finds the due orders, earliest first, and
locks them with ``FOR UPDATE SKIP LOCKED``: replicas running their own sweeper take
disjoint batches, and an order a consumer holds is simply left for the next round. Each
batch commits its state changes and the events they cause together, through the outbox.
"Now" is the watermark (:mod:`shared.infra.watermark`), read before each sweep: while the
consumers catch up, deadlines wait for the facts that came before them.
"""

import asyncio
import logging
import time
from datetime import datetime

import asyncpg

from services.sla import store
from services.sla.metrics import OPEN_STATES, SlaMetrics
from services.sla.service import SlaService
from shared.infra.aftercommit import collecting
from shared.infra.clock import Clock
from shared.infra.consumer import TRANSIENT_ERRORS
from shared.infra.periodic import every
from shared.infra.watermark import Watermark

log = logging.getLogger(__name__)

_OUTAGES: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, asyncpg.PostgresError)


class Sweeper:
    def __init__(
        self,
        pool: asyncpg.Pool,
        sla: SlaService,
        clock: Clock,
        metrics: SlaMetrics,
        *,
        watermark: Watermark,
        batch_size: int,
        interval: float,
    ) -> None:
        self._pool = pool
        self._sla = sla
        self._clock = clock
        self._watermark = watermark
        self._metrics = metrics
        self._batch_size = batch_size
        self._interval = interval

    async def sweep(self) -> int:
        """Process every order due by the watermark, batch by batch; returns how many were.

        An order whose assessment fails is logged, counted and left for the next sweep,
        so that it cannot hold up the others.
        """
        started = time.perf_counter()
        await self._watermark.refresh()
        processed = 0
        failed: list[str] = []
        while True:
            claimed, failures = await self._sweep_batch(failed)
            processed += claimed - len(failures)
            failed += failures
            if claimed < self._batch_size:
                break
        self._metrics.sweep_seconds.observe(time.perf_counter() - started)
        return processed

    async def _sweep_batch(self, skip: list[str]) -> tuple[int, list[str]]:
        """One batch in one transaction; returns how many orders it claimed and those that
        failed. On an unexpected error, the batch is retried one order at a time."""
        now = self._watermark.now()
        try:
            async with self._pool.acquire() as conn, collecting(), conn.transaction():
                ids = await store.claim_due(conn, now, self._batch_size, skip)
                if ids:
                    await self._sla.reassess(conn, ids, now)
                return len(ids), []
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            log.warning("sweep batch failed; retrying its orders one by one", exc_info=True)
        async with self._pool.acquire() as conn:
            ids = await store.claim_due(conn, now, self._batch_size, skip)  # locks released
        failures = [order_id for order_id in ids if not await self._sweep_one(order_id, now)]
        return len(ids), failures

    async def _sweep_one(self, order_id: str, now: datetime) -> bool:
        try:
            async with self._pool.acquire() as conn, collecting(), conn.transaction():
                if await store.claim_order(conn, order_id, now):
                    await self._sla.reassess(conn, [order_id], now)
            return True
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            self._metrics.sweep_failures.labels("assessment").inc()
            log.exception("order could not be assessed", extra={"order_id": order_id})
            return False

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every ``interval`` seconds until ``stop`` is set."""
        await every(self._interval, stop, self._sweep_logged)

    async def _sweep_logged(self) -> None:
        try:
            await self._measure_backlog()
            await self.sweep()
        except _OUTAGES as exc:
            self._metrics.sweep_failures.labels("outage").inc()
            log.warning("sweep interrupted: %s", type(exc).__name__)
        except Exception:
            self._metrics.sweep_failures.labels("unexpected").inc()
            log.exception("sweep failed")

    async def _measure_backlog(self) -> None:
        async with self._pool.acquire() as conn:
            oldest = await store.oldest_due(conn)
        overdue = (self._clock.now() - oldest).total_seconds() if oldest else 0.0
        self._metrics.oldest_due.set(max(0.0, overdue))


class Census:
    """Counts open orders by state for ``parcelwatch_sla_open_orders``."""

    def __init__(self, pool: asyncpg.Pool, metrics: SlaMetrics, *, interval: float) -> None:
        self._pool = pool
        self._metrics = metrics
        self._interval = interval

    async def count(self) -> None:
        async with self._pool.acquire() as conn:
            counts = await store.count_by_state(conn)
        for state in OPEN_STATES:
            self._metrics.open_orders.labels(state.value).set(counts.get(state.value, 0))

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, stop, self._count_logged)

    async def _count_logged(self) -> None:
        try:
            await self.count()
        except Exception:
            log.exception("order census failed")
