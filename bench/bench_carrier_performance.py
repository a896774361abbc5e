"""Carrier performance: ``GET /api/v1/carriers/performance`` at 1,000,000 delivered shipments.

Seeds the ``sla`` schema (migrated as the service does) with 1,000,000 orders, each with one
shipment whose carrier journey ended in the window: 4 carriers, 30 lanes (6 seller x 5
customer countries), spread evenly over the 30 days before the fixed clock; transit and
label-to-first-scan times drawn from gamma distributions, a few percent exceptions,
attempts and returns. ``carrier_journeys`` gets each journey and ``carrier_performance`` the
sum of their contributions, computed by the service's own ``contribution()``.

Measured, five times each on the same database (medians):
- the endpoint: the sla analytics router in-process (httpx ASGI), rollup query + breakdown +
  JSON;
- the baseline: the exact answer without the rollup — one SQL query over
  ``carrier_journeys`` (``percentile_cont`` per carrier and per lane, counts, with a covering
  index on the day so it is an index-only scan).
The run also checks the two agree: equal counts, percentiles within the stated 2.2 %.

Uses ``DATABASE_URL``'s server if set (a new database, dropped afterwards), else an
embedded PostgreSQL. Smaller run: ``python -m bench.bench_carrier_performance --shipments
100000``; ``--spread-days 365`` spreads the journeys over a year (the query still asks for
30 days).
"""

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from bench.infra import database_url, postgres_server
from services.sla import analytics_api, analytics_queries
from services.sla.entrypoint import MIGRATIONS, NAME
from services.sla.performance import RELATIVE_ERROR, Journey, Key, Outcome, contribution
from shared.infra import db, migrations
from shared.infra.settings import DatabaseSettings

SHIPMENTS = 1_000_000
DAYS = 30
RUNS = 5
NOW = datetime(2026, 11, 27, 18, tzinfo=UTC)
CARRIERS = ("dhl", "fedex", "ups", "usps")
SELLERS = ("AU", "DE", "FR", "GB", "NL", "US")
CUSTOMERS = ("CA", "DE", "FR", "GB", "US")
HOUR = 3600.0

EXACT = """
SELECT carrier, seller_country, customer_country, count(*) AS shipments,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY transit_seconds) AS transit_p50,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY transit_seconds) AS transit_p90,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY first_scan_seconds) AS first_scan_p50,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY first_scan_seconds) AS first_scan_p90,
       count(transit_seconds) AS transit_samples,
       count(*) FILTER (WHERE on_time) AS on_time, count(on_time) AS estimated,
       count(*) FILTER (WHERE exception) AS exceptions,
       count(*) FILTER (WHERE attempted) AS attempts,
       count(*) FILTER (WHERE outcome = 'returned') AS returns
FROM carrier_journeys WHERE ended_on BETWEEN $1 AND $2
GROUP BY GROUPING SETS ((carrier), (carrier, seller_country, customer_country))
"""
"""The baseline: ``percentile_disc`` is the nearest-rank value the rollup estimates."""


def _journey(rng: random.Random, n: int, today: date, spread: int) -> Journey:
    carrier = CARRIERS[n % len(CARRIERS)]
    speed = 1.0 + 0.25 * CARRIERS.index(carrier)
    returned = rng.random() < 0.02
    on_time = None if returned or rng.random() < 0.1 else rng.random() < 0.85 / speed
    return Journey(
        ended_on=today - timedelta(days=n % spread),
        carrier=carrier,
        seller_country=rng.choice(SELLERS),
        customer_country=rng.choice(CUSTOMERS),
        outcome=Outcome.RETURNED if returned else Outcome.DELIVERED,
        exception=rng.random() < 0.05,
        attempted=rng.random() < 0.08,
        on_time=on_time,
        transit_seconds=None if returned else rng.gammavariate(4, 18 * HOUR * speed),
        first_scan_seconds=rng.gammavariate(2, 5 * HOUR),
    )


async def _seed(url: str, shipments: int, spread: int) -> None:
    conn = await asyncpg.connect(url, server_settings={"search_path": NAME})
    try:
        await migrations.migrate(conn, NAME, MIGRATIONS)
        rng = random.Random(7)
        today = NOW.date()
        journeys = [_journey(rng, n, today, spread) for n in range(shipments)]
        ids = [f"o-{n:07d}" for n in range(shipments)]
        await conn.copy_records_to_table(
            "orders",
            columns=(
                "order_id",
                "seller_id",
                "seller_country",
                "seller_time_zone",
                "customer_country",
                "customer_time_zone",
            ),
            records=(
                (i, f"s-{n % 5000}", j.seller_country, "UTC", j.customer_country, "UTC")
                for n, (i, j) in enumerate(zip(ids, journeys, strict=True))
            ),
        )
        await conn.copy_records_to_table(
            "shipments",
            columns=("order_id", "shipment_id", "carrier", "tracking_number", "first_seen_at"),
            records=(
                (i, "sh-1", j.carrier, f"T{n:010d}", NOW)
                for n, (i, j) in enumerate(zip(ids, journeys, strict=True))
            ),
        )
        await conn.copy_records_to_table(
            "carrier_journeys",
            columns=(
                "order_id",
                "shipment_id",
                "ended_on",
                "carrier",
                "seller_country",
                "customer_country",
                "outcome",
                "exception",
                "attempted",
                "on_time",
                "transit_seconds",
                "first_scan_seconds",
            ),
            records=(
                (
                    i,
                    "sh-1",
                    j.ended_on,
                    j.carrier,
                    j.seller_country,
                    j.customer_country,
                    j.outcome.value,
                    j.exception,
                    j.attempted,
                    j.on_time,
                    j.transit_seconds,
                    j.first_scan_seconds,
                )
                for i, j in zip(ids, journeys, strict=True)
            ),
        )
        rollup: Counter[Key] = Counter()
        for j in journeys:
            rollup.update(contribution(j))
        await conn.copy_records_to_table(
            "carrier_performance",
            columns=(
                "day",
                "carrier",
                "seller_country",
                "customer_country",
                "measure",
                "bucket",
                "shipments",
            ),
            records=((*key[:4], key[4].value, key[5], n) for key, n in rollup.items()),
        )
        # The baseline's best case: an index-only scan of the window.
        await conn.execute(
            "CREATE INDEX carrier_journeys_day_idx ON carrier_journeys (ended_on) INCLUDE"
            " (carrier, seller_country, customer_country, outcome, exception, attempted,"
            " on_time, transit_seconds, first_scan_seconds)"
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


class FixedClock:
    def now(self) -> datetime:
        return NOW


async def _timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await call()
    return time.perf_counter() - started, result


def _close(estimate: float | None, exact: float | None) -> float:
    """Relative gap of a rollup percentile to the exact one (0 when both are missing)."""
    if exact is None or estimate is None:
        assert estimate is None and exact is None, (estimate, exact)
        return 0.0
    return abs(estimate - exact) / exact


def _compare(answer: dict[str, Any], exact: list[asyncpg.Record]) -> float:
    """Check the endpoint against the exact rows; returns the widest percentile gap."""
    groups = {(c["carrier"], None, None): c for c in answer["carriers"]}
    groups |= {
        (c["carrier"], c["seller_country"], c["customer_country"]): c for c in answer["lanes"]
    }
    assert len(groups) == len(exact), (len(groups), len(exact))
    widest = 0.0
    for row in exact:
        found = groups[row["carrier"], row["seller_country"], row["customer_country"]]
        assert found["shipments"] == row["shipments"]
        assert found["transit"]["samples"] == row["transit_samples"]
        assert found["on_time"]["numerator"] == row["on_time"]
        assert found["on_time"]["denominator"] == row["estimated"]
        assert found["exception"]["numerator"] == row["exceptions"]
        assert found["delivery_attempt"]["numerator"] == row["attempts"]
        assert found["return_to_sender"]["numerator"] == row["returns"]
        for field, p50, p90 in (
            ("transit", "transit_p50", "transit_p90"),
            ("label_to_first_scan", "first_scan_p50", "first_scan_p90"),
        ):
            widest = max(
                widest,
                _close(found[field]["p50_seconds"], row[p50]),
                _close(found[field]["p90_seconds"], row[p90]),
            )
    return widest


async def run(shipments: int, spread: int) -> None:
    async with postgres_server("bench-carriers-") as admin_url:
        admin = await asyncpg.connect(admin_url)
        name = f"bench_carriers_{uuid.uuid4().hex[:8]}"
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
            url = database_url(admin_url, name)
            started = time.perf_counter()
            await _seed(url, shipments, spread)
            print(
                f"seeded {shipments:,} delivered shipments over {spread} days "
                f"in {time.perf_counter() - started:.1f} s"
            )
            settings = DatabaseSettings(
                database_url=url,
                database_pool_min=1,
                database_pool_max=2,
                database_command_timeout=600,
            )
            pool = await db.create_pool(settings, application_name="bench-carriers", schema=NAME)
            app = FastAPI()
            app.include_router(analytics_api.router(pool, FixedClock(), None))
            transport = httpx.ASGITransport(app=app)
            since = analytics_queries.first_day(NOW.date(), DAYS)
            try:
                async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:

                    async def endpoint() -> Any:
                        response = await http.get(
                            "/api/v1/carriers/performance", params={"days": DAYS}
                        )
                        response.raise_for_status()
                        return response.json()

                    async def baseline() -> list[asyncpg.Record]:
                        return list(await pool.fetch(EXACT, since, NOW.date()))

                    endpoint_times, baseline_times = [], []
                    for _ in range(RUNS):  # alternated, so both see the same machine load
                        seconds, answer = await _timed(endpoint)
                        endpoint_times.append(seconds)
                        seconds, exact = await _timed(baseline)
                        baseline_times.append(seconds)
                    plan = await pool.fetch(
                        f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {analytics_queries.PERFORMANCE}",
                        since,
                        NOW.date(),
                    )
                    rollup_rows = await pool.fetchval(
                        "SELECT count(*) FROM carrier_performance WHERE day BETWEEN $1 AND $2",
                        since,
                        NOW.date(),
                    )
            finally:
                await pool.close()
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()

    widest = _compare(answer, exact)
    assert widest <= RELATIVE_ERROR + 1e-9, widest  # floating point at bucket bounds
    counted = sum(c["shipments"] for c in answer["carriers"])
    fast, slow = statistics.median(endpoint_times), statistics.median(baseline_times)
    print("rollup query plan:")
    for row in plan:
        print("   ", row[0])
    print(
        f"window: {DAYS} days, {counted:,} journeys, {len(answer['lanes'])} carrier-lanes, "
        f"{rollup_rows:,} rollup rows"
    )
    print(
        f"baseline (exact SQL over carrier_journeys): {slow * 1000:8.0f} ms  "
        f"(runs: {', '.join(f'{t * 1000:.0f}' for t in baseline_times)})"
    )
    print(
        f"endpoint (rollup):                          {fast * 1000:8.0f} ms  "
        f"(runs: {', '.join(f'{t * 1000:.0f}' for t in endpoint_times)})"
    )
    print(f"ratio endpoint / baseline: {fast / slow:.3f} ({slow / fast:.1f}x faster)")
    print(
        f"widest percentile gap to the exact value: {100 * widest:.2f} % "
        f"(stated bound {100 * RELATIVE_ERROR:.2f} %)"
    )


def main(shipments: int = SHIPMENTS, spread: int = DAYS) -> None:
    asyncio.run(run(shipments, spread))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=SHIPMENTS)
    parser.add_argument("--spread-days", type=int, default=DAYS)
    arguments = parser.parse_args()
    main(arguments.shipments, arguments.spread_days)
