"""The sweeper and its query against a real PostgreSQL (no broker: events stop at the outbox)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from services.sla import store
from services.sla.entrypoint import MIGRATIONS, NAME
from services.sla.handlers import SlaHandlers
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.rules import SlaRules
from services.sla.service import SlaService
from services.sla.sweeper import Census, Sweeper
from shared.contracts.envelope import CloudEvent
from shared.infra import db, migrations
from shared.infra.settings import DatabaseSettings
from shared.infra.watermark import Position, Watermark, WatermarkUnknown
from tests.integration.sla.scenarios import DETECTION, HOUR, SECOND, T0, confirmed, placed
from tests.support.clock import FakeClock, caught_up


@dataclass
class Setup:
    pool: asyncpg.Pool
    clock: FakeClock
    sla: SlaService
    handlers: SlaHandlers
    registry: CollectorRegistry
    metrics: SlaMetrics

    def sweeper(self, batch_size: int = 10) -> Sweeper:
        return self.sweeper_held(caught_up(self.clock), batch_size)

    def sweeper_held(self, watermark: Watermark, batch_size: int = 10) -> Sweeper:
        return Sweeper(
            self.pool,
            self.sla,
            self.clock,
            self.metrics,
            watermark=watermark,
            batch_size=batch_size,
            interval=0.01,
        )

    async def confirm(self, *order_ids: str) -> None:
        for order_id in order_ids:
            await self.apply(confirmed(order_id))

    async def apply(self, event: CloudEvent[Any]) -> None:
        """As the consumer applies it: the order locked, then the handler."""
        async with self.pool.acquire() as conn, conn.transaction():
            await self.handlers.lock(conn, [event])
            await self.handlers.orders()[event.type](conn, event)

    async def outbox(self) -> list[str]:
        rows = await self.pool.fetch("SELECT event_id FROM outbox ORDER BY id")
        return [row["event_id"] for row in rows]


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[Setup]:
    pool = await db.create_pool(
        DatabaseSettings(database_url=database_url, database_pool_max=6),
        application_name="test-sla",
        schema=NAME,
    )
    async with pool.acquire() as conn:
        await migrations.migrate(conn, NAME, MIGRATIONS)
    registry = CollectorRegistry()
    metrics = SlaMetrics(registry)
    clock = FakeClock(T0)
    sla = SlaService(rules=SlaRules(), calendars=Calendars(), metrics=metrics)
    try:
        yield Setup(pool, clock, sla, SlaHandlers(sla, clock), registry, metrics)
    finally:
        await pool.close()


async def test_claim_query_reads_the_partial_index_of_open_deadlines(setup: Setup) -> None:
    async with setup.pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        rows = await conn.fetch(f"EXPLAIN {store.CLAIM_DUE}", DETECTION, 10, [])
    plan = "\n".join(row[0] for row in rows)
    assert "Index Scan using orders_next_due_idx" in plan, plan


async def test_sweep_emits_each_due_deadline_once_in_batches(setup: Setup) -> None:
    orders = [f"o-{n}" for n in range(25)]
    await setup.confirm(*orders)
    setup.clock.set(DETECTION - SECOND)
    assert await setup.sweeper().sweep() == 0

    setup.clock.set(DETECTION)
    assert await setup.sweeper(batch_size=10).sweep() == 25
    emitted = await setup.outbox()
    assert len(emitted) == len(set(emitted)) == 25
    assert await setup.sweeper().sweep() == 0
    assert await setup.outbox() == emitted
    counted = setup.registry.get_sample_value(
        "parcelwatch_sla_breaches_total", {"kind": "ship_by_missed", "severity": "seller"}
    )
    assert counted == 25


async def test_sweepers_running_together_share_the_work_without_duplicates(setup: Setup) -> None:
    orders = [f"o-{n}" for n in range(60)]
    await setup.confirm(*orders)
    setup.clock.set(DETECTION)
    counts = await asyncio.gather(*(setup.sweeper(batch_size=5).sweep() for _ in range(3)))
    assert sum(counts) == 60
    emitted = await setup.outbox()
    assert len(emitted) == len(set(emitted)) == 60


async def test_sweep_skips_an_order_another_transaction_holds(setup: Setup) -> None:
    await setup.confirm("o-held", "o-free")
    setup.clock.set(DETECTION)
    async with setup.pool.acquire() as holder, holder.transaction():
        await store.lock_orders(holder, ["o-held"])
        assert await setup.sweeper().sweep() == 1
    assert len(await setup.outbox()) == 1
    assert await setup.sweeper().sweep() == 1
    assert len(await setup.outbox()) == 2


async def test_sweep_sets_aside_an_order_it_cannot_assess_and_processes_the_others(
    setup: Setup,
) -> None:
    await setup.confirm("o-a", "o-broken", "o-b")
    await setup.pool.execute(
        "UPDATE orders SET seller_time_zone = 'Nowhere/Atlantis' WHERE order_id = 'o-broken'"
    )
    setup.clock.set(DETECTION)
    assert await setup.sweeper().sweep() == 2
    assert len(await setup.outbox()) == 2
    failures = setup.registry.get_sample_value(
        "parcelwatch_sla_sweep_failures_total", {"error": "assessment"}
    )
    assert failures == 1
    due = await setup.pool.fetchval("SELECT next_due_at FROM orders WHERE order_id = 'o-broken'")
    assert due is not None  # kept for the next sweep


async def test_sweeper_reports_sweeps_and_the_oldest_deadline_waiting(setup: Setup) -> None:
    await setup.confirm("o-1")
    setup.clock.set(DETECTION + 90 * SECOND)
    stop = asyncio.Event()
    running = asyncio.create_task(setup.sweeper().run(stop))
    sweeps = "parcelwatch_sla_sweep_duration_seconds_count"
    while not setup.registry.get_sample_value(sweeps):
        await asyncio.sleep(0.01)
    stop.set()
    await running
    oldest = setup.registry.get_sample_value("parcelwatch_sla_oldest_unprocessed_deadline_seconds")
    assert oldest == 90
    assert len(await setup.outbox()) == 1


async def test_sweeper_waits_while_the_consumers_are_behind_or_unreadable(setup: Setup) -> None:
    await setup.confirm("o-1", "o-2", "o-3")
    broker: list[Position] | None = None  # None: the broker cannot be read

    async def read() -> list[Position]:
        if broker is None:
            raise OSError("broker unreachable")
        return broker

    watermark = Watermark(setup.clock, read, lag=setup.metrics.watermark_lag)
    sweeper = setup.sweeper_held(watermark)
    setup.clock.set(DETECTION + HOUR)
    with pytest.raises(WatermarkUnknown):  # never read: no verdict at all
        await sweeper.sweep()

    broker = [Position(9, 9), Position(5, 9, DETECTION - SECOND)]  # one partition behind
    assert await sweeper.sweep() == 0
    lag = setup.registry.get_sample_value("parcelwatch_sla_watermark_lag_seconds")
    assert lag == (HOUR + SECOND).total_seconds()

    broker = [Position(9, 9), Position(9, 9)]  # caught up, read before the deadline
    setup.clock.set(DETECTION - SECOND)
    await watermark.refresh()
    broker = None
    setup.clock.set(DETECTION + HOUR)
    assert await sweeper.sweep() == 0  # held where the last reading left it
    assert await setup.outbox() == []

    broker = [Position(9, 9), Position(9, 9)]
    assert await sweeper.sweep() == 3
    assert setup.registry.get_sample_value("parcelwatch_sla_watermark_lag_seconds") == 0


async def test_census_counts_open_orders_by_state(setup: Setup) -> None:
    await setup.confirm("o-1", "o-2")
    await setup.apply(placed("o-3"))
    await Census(setup.pool, setup.metrics, interval=1).count()

    def gauge(state: str) -> float | None:
        return setup.registry.get_sample_value("parcelwatch_sla_open_orders", {"state": state})

    assert (gauge("awaiting_shipment"), gauge("unconfirmed"), gauge("delivered")) == (2, 1, 0)
    assert gauge("cancelled") is None
