"""Read-only queries of carrier performance and SLA trends (schema ``sla``).

Days and weeks are UTC; weeks start on Monday.
"""

from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from services.sla.performance import Breakdown, breakdown

PERFORMANCE = """
SELECT carrier, seller_country, customer_country, measure, bucket,
       sum(shipments)::int AS shipments
FROM carrier_performance WHERE day BETWEEN $1 AND $2
GROUP BY carrier, seller_country, customer_country, measure, bucket
HAVING sum(shipments) <> 0
"""


def utc_date(when: datetime) -> date:
    return when.astimezone(UTC).date()


def first_day(today: date, days: int) -> date:
    """The first of the ``days`` days that end with ``today``."""
    return today - timedelta(days=days - 1)


def first_week(today: date, weeks: int) -> date:
    """The Monday of the first of the ``weeks`` weeks that end with ``today``'s week."""
    return today - timedelta(days=today.weekday() + 7 * (weeks - 1))


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), tzinfo=UTC)


async def performance(pool: asyncpg.Pool, since: date, until: date) -> Breakdown:
    """Carrier and lane performance of the journeys that ended from ``since`` to ``until``."""
    rows = await pool.fetch(PERFORMANCE, since, until)
    lanes = (
        (
            (r["carrier"], r["seller_country"], r["customer_country"]),
            r["measure"],
            r["bucket"],
            r["shipments"],
        )
        for r in rows
    )
    return breakdown(lanes)


_BREACHES = """
SELECT 'opened' AS change, kind, (opened_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
FROM breaches WHERE opened_at >= $1 AND opened_at <= $2 GROUP BY kind, day
UNION ALL
SELECT 'resolved', kind, (resolved_at AT TIME ZONE 'UTC')::date, count(*)
FROM breaches WHERE resolved_at >= $1 AND resolved_at <= $2 GROUP BY kind, 3
"""


async def breaches_by_day(
    pool: asyncpg.Pool, since: datetime, until: datetime
) -> list[tuple[str, str, date, int]]:
    """(change, kind, day, breaches): opened and resolved breaches per day and kind."""
    rows = await pool.fetch(_BREACHES, since, until)
    return [(r["change"], r["kind"], r["day"], r["n"]) for r in rows]


_LATE_SHIPMENTS = """
SELECT o.seller_id, date_trunc('week', o.ship_by_deadline AT TIME ZONE 'UTC')::date AS week,
       count(*) AS orders,
       count(*) FILTER (WHERE s.shipped_at IS NULL OR s.shipped_at > o.ship_by_deadline) AS late
FROM orders o
LEFT JOIN LATERAL (SELECT min(shipped_at) AS shipped_at FROM shipments
                   WHERE shipments.order_id = o.order_id) s ON true
WHERE o.ship_by_deadline >= $1 AND o.ship_by_deadline <= $2
  AND o.cancelled_at IS NULL AND o.seller_id IS NOT NULL
GROUP BY o.seller_id, week
"""


async def late_shipments_by_week(
    pool: asyncpg.Pool, since: datetime, until: datetime
) -> list[tuple[str, date, int, int]]:
    """(seller, week, orders, late): orders whose ship-by deadline fell in the week (and
    is past), and those of them the carrier had not scanned moving by the deadline — the
    scorecard's late-shipment rule."""
    rows = await pool.fetch(_LATE_SHIPMENTS, since, until)
    return [(r["seller_id"], r["week"], r["orders"], r["late"]) for r in rows]


_DISPUTES = """
SELECT 'reported' AS change, date_trunc('week', reported_at AT TIME ZONE 'UTC')::date AS week,
       count(*) AS n
FROM disputes WHERE reported_at >= $1 AND reported_at <= $2 GROUP BY week
UNION ALL
SELECT 'resolved', date_trunc('week', resolved_at AT TIME ZONE 'UTC')::date, count(*)
FROM disputes WHERE resolved_at >= $1 AND resolved_at <= $2 GROUP BY 2
"""


async def disputes_by_week(
    pool: asyncpg.Pool, since: datetime, until: datetime
) -> list[tuple[str, date, int]]:
    """(change, week, disputes): disputes reported and resolved per week."""
    rows = await pool.fetch(_DISPUTES, since, until)
    return [(r["change"], r["week"], r["n"]) for r in rows]
