"""SLA sweep: 1,000,000 open orders, 10,000 deadlines expired; time the sweep that finds,
assesses and emits them (into the outbox), and its peak memory.

Baseline, on an identical copy of the database: the same batched claim query
(``FOR UPDATE SKIP LOCKED`` on the partial index) plus a bare ``UPDATE`` clearing the
claimed rows' deadlines, without loading facts, rules or events.

Uses ``DATABASE_URL``'s server if set (in a new database, dropped afterwards), else an
embedded PostgreSQL in a temporary folder. Smaller run:
``python -m bench.bench_sla_sweep --orders 20000 --expired 200``.
"""

import argparse
import asyncio
import contextlib
import os
import resource
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry

from bench.infra import database_url, postgres_server
from services.sla import store
from services.sla.assessment import OrderState
from services.sla.calendar import BusinessCalendar
from services.sla.deadlines import ship_by_deadline, ship_by_missed_at, tracking_stalled_at
from services.sla.entrypoint import MIGRATIONS, NAME
from services.sla.localtime import time_zone
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.rules import SlaRules
from services.sla.service import SlaService
from services.sla.sweeper import Sweeper
from shared.infra import db, migrations
from shared.infra.settings import DatabaseSettings
from tests.support.clock import caught_up

ORDERS = 1_000_000
EXPIRED = 10_000
BATCH = 500
SELLER_ZONE = time_zone("America/New_York")
CALENDAR = BusinessCalendar("US", "NY")
RULES = SlaRules()
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=SELLER_ZONE)  # Wednesday noon in New York

ORDER_COLUMNS = (
    "order_id",
    "seller_id",
    "seller_country",
    "seller_subdivision",
    "seller_time_zone",
    "customer_time_zone",
    "marketplace",
    "large",
    "placed_at",
    "confirmed_at",
    "state",
    "ship_by_deadline",
    "ship_by_due_at",
    "stall_due_at",
)
SHIPMENT_COLUMNS = (
    "order_id",
    "shipment_id",
    "carrier",
    "tracking_number",
    "first_seen_at",
    "registered_at",
    "status",
    "status_since",
    "status_description",
    "last_scan_at",
    "shipped_at",
)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SELLER_ZONE)


def _unshipped(confirmed_at: datetime) -> tuple[datetime, datetime]:
    deadline = ship_by_deadline(
        confirmed_at, large=False, calendar=CALENDAR, zone=SELLER_ZONE, rules=RULES
    )
    return deadline, ship_by_missed_at(deadline, RULES)


def _stall(last_scan_at: datetime) -> datetime:
    return tracking_stalled_at(last_scan_at, calendar=CALENDAR, zone=SELLER_ZONE, rules=RULES)


# Half the orders await shipment (ship-by due Thursday), half are in transit (last scan
# Tuesday, stalled next Monday): nothing is due at NOW until deadlines are expired.
CONFIRMED_RECENTLY = _at(25, 10)
CONFIRMED_EARLIER = _at(18, 10)
SHIPPED = _at(18, 18)
SCANNED_RECENTLY = _at(24, 9)
SCANNED_EARLIER = _at(19, 9)


def _order_row(n: int) -> tuple[Any, ...]:
    in_transit = n % 2 == 1
    confirmed_at = CONFIRMED_EARLIER if in_transit else CONFIRMED_RECENTLY
    deadline, ship_due = _SHIP_BY[in_transit]
    return (
        f"o-{n:07d}",
        f"s-{n % 5000}",
        "US",
        "NY",
        "America/New_York",
        "America/Chicago",
        "us",
        False,
        confirmed_at - timedelta(minutes=5),
        confirmed_at,
        (OrderState.IN_TRANSIT if in_transit else OrderState.AWAITING_SHIPMENT).value,
        deadline,
        None if in_transit else ship_due,
        _STALL_RECENT if in_transit else None,
    )


_SHIP_BY = {False: _unshipped(CONFIRMED_RECENTLY), True: _unshipped(CONFIRMED_EARLIER)}
_STALL_RECENT = _stall(SCANNED_RECENTLY)


def _shipment_row(n: int) -> tuple[Any, ...]:
    return (
        f"o-{n:07d}",
        "sh-1",
        "ups",
        f"1Z{n:016d}",
        CONFIRMED_EARLIER,
        CONFIRMED_EARLIER,
        "in_transit",
        SHIPPED,
        "Departed from facility",
        SCANNED_RECENTLY,
        SHIPPED,
    )


async def _seed(url: str, orders: int, expired: int) -> None:
    conn = await asyncpg.connect(url, server_settings={"search_path": NAME})
    try:
        await migrations.migrate(conn, NAME, MIGRATIONS)
        await conn.copy_records_to_table(
            "orders",
            schema_name=NAME,
            columns=ORDER_COLUMNS,
            records=(_order_row(n) for n in range(orders)),
        )
        await conn.copy_records_to_table(
            "shipments",
            schema_name=NAME,
            columns=SHIPMENT_COLUMNS,
            records=(_shipment_row(n) for n in range(1, orders, 2)),
        )
        # Expire deadlines: half unshipped orders confirmed a week ago, half parcels whose
        # last scan is a week old; the facts move with the deadlines.
        unshipped = [f"o-{n:07d}" for n in range(0, 2 * (expired // 2), 2)]
        stalled = [f"o-{n:07d}" for n in range(1, 2 * (expired - expired // 2), 2)]
        deadline, due = _SHIP_BY[True]
        await conn.execute(
            "UPDATE orders SET confirmed_at = $2, placed_at = $3, ship_by_deadline = $4,"
            " ship_by_due_at = $5 WHERE order_id = ANY($1::text[])",
            unshipped,
            CONFIRMED_EARLIER,
            CONFIRMED_EARLIER - timedelta(minutes=5),
            deadline,
            due,
        )
        await conn.execute(
            "UPDATE shipments SET last_scan_at = $2 WHERE order_id = ANY($1::text[])",
            stalled,
            SCANNED_EARLIER,
        )
        await conn.execute(
            "UPDATE orders SET stall_due_at = $2 WHERE order_id = ANY($1::text[])",
            stalled,
            _stall(SCANNED_EARLIER),
        )
        await conn.execute("VACUUM ANALYZE")
        assert (
            await conn.fetchval("SELECT count(*) FROM orders WHERE next_due_at <= $1", NOW)
            == expired
        ), "seeded deadlines do not expire as planned"
    finally:
        await conn.close()


async def _baseline(pool: asyncpg.Pool) -> int:
    """The claim query and a bare update of the claimed rows, batch by batch."""
    done = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            ids = await store.claim_due(conn, NOW, BATCH)
            await conn.execute(
                "UPDATE orders SET ship_by_due_at = NULL, stall_due_at = NULL, updated_at = now()"
                " WHERE order_id = ANY($1::text[])",
                ids,
            )
        done += len(ids)
        if len(ids) < BATCH:
            return done


async def _sweep(pool: asyncpg.Pool) -> int:
    metrics = SlaMetrics(CollectorRegistry())
    sla = SlaService(rules=RULES, calendars=Calendars(), metrics=metrics)
    clock = FixedClock()
    sweeper = Sweeper(
        pool, sla, clock, metrics, watermark=caught_up(clock), batch_size=BATCH, interval=1.0
    )
    return await sweeper.sweep()


def _rss(pid: int) -> int:
    """Resident set size of process ``pid`` in bytes (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """Samples the RSS of this process and of the PostgreSQL backends serving ``pids``."""

    def __init__(self, pids: list[int]) -> None:
        self._pids = pids
        self.own = _rss(os.getpid())
        self.backends = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.own = max(self.own, _rss(os.getpid()))
            with contextlib.suppress(OSError):
                self.backends = max(self.backends, *(_rss(pid) for pid in self._pids))

    @contextlib.contextmanager
    def watching(self) -> Iterator["PeakRss"]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


async def _pool(url: str) -> asyncpg.Pool:
    settings = DatabaseSettings(
        database_url=url, database_pool_min=2, database_pool_max=2, database_command_timeout=600
    )
    return await db.create_pool(settings, application_name="bench-sla", schema=NAME)


async def run(orders: int, expired: int) -> None:
    async with postgres_server("bench-sla-") as admin_url:
        admin = await asyncpg.connect(admin_url)
        seeded, copy = f"bench_sla_{uuid.uuid4().hex[:8]}", f"bench_sla_{uuid.uuid4().hex[:8]}"
        try:
            await admin.execute(f'CREATE DATABASE "{seeded}"')
            started = time.perf_counter()
            await _seed(database_url(admin_url, seeded), orders, expired)
            print(
                f"seeded {orders:,} open orders, {expired:,} expired, "
                f"in {time.perf_counter() - started:.1f} s"
            )
            await admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{seeded}"')

            pool = await _pool(database_url(admin_url, copy))
            try:
                started = time.perf_counter()
                baseline_count = await _baseline(pool)
                baseline = time.perf_counter() - started
            finally:
                await pool.close()

            pool = await _pool(database_url(admin_url, seeded))
            try:
                async with pool.acquire() as conn:
                    probe = conn.transaction()
                    await probe.start()
                    plan = await conn.fetch(
                        f"EXPLAIN (ANALYZE, COSTS OFF) {store.CLAIM_DUE}", NOW, BATCH, []
                    )
                    await probe.rollback()
                pids = [
                    r["pid"]
                    for r in await pool.fetch(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    )
                ]
                with PeakRss(pids).watching() as peak:
                    started = time.perf_counter()
                    swept = await _sweep(pool)
                    sweep = time.perf_counter() - started
                emitted = await pool.fetchval("SELECT count(*) FROM outbox")
            finally:
                await pool.close()
        finally:
            for name in (seeded, copy):
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()

    assert swept == baseline_count == expired, (swept, baseline_count)
    assert emitted == expired, emitted
    lines = [row[0].strip() for row in plan]
    print(
        "claim query plan (one batch): "
        + "; ".join(line for line in lines if "Index" in line or "Execution" in line)
    )
    print(
        f"baseline (claim + bare update): {baseline * 1000:8.0f} ms  "
        f"{baseline / expired * 1e6:6.0f} us/order"
    )
    print(
        f"sweep (assess + emit):          {sweep * 1000:8.0f} ms  "
        f"{sweep / expired * 1e6:6.0f} us/order  {emitted:,} events in the outbox"
    )
    print(f"ratio sweep / baseline: {sweep / baseline:.1f}x")
    print(
        f"peak RSS during the sweep: process {peak.own / 2**20:.0f} MiB, "
        f"PostgreSQL backend {peak.backends / 2**20:.0f} MiB; process max RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


def main(orders: int = ORDERS, expired: int = EXPIRED) -> None:
    asyncio.run(run(orders, expired))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--expired", type=int, default=EXPIRED)
    arguments = parser.parse_args()
    main(arguments.orders, arguments.expired)
