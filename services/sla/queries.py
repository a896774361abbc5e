"""Read-only queries of the sla query API and the scorecard (schema ``sla``)."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.sla.scorecard import WINDOWS, OrderRecord


async def order(pool: asyncpg.Pool, order_id: str) -> dict[str, Any] | None:
    """An order's SLA row with its shipments, disputes and breaches; None if unknown."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT order_id, seller_id, marketplace, large, placed_at, confirmed_at,"
            " cancelled_at, state, ship_by_deadline, confirmation_due_at, ship_by_due_at,"
            " delivery_due_at, stall_due_at, documents_reminder_at, documents_overdue_at,"
            " escalation_due_at, next_due_at FROM orders WHERE order_id = $1",
            order_id,
        )
        if row is None:
            return None
        shipments = await conn.fetch(
            "SELECT shipment_id, carrier, tracking_number, registered_at, invalid_reason,"
            " status, status_since, last_scan_at, shipped_at, estimated_delivery,"
            " first_estimated_delivery, delivered_at FROM shipments WHERE order_id = $1"
            " ORDER BY first_seen_at, shipment_id",
            order_id,
        )
        disputes = await conn.fetch(
            "SELECT case_id, shipment_id, reported_at, documents, resolution, resolved_at,"
            " expected_delivery, documents_deadline FROM disputes WHERE order_id = $1"
            " ORDER BY reported_at NULLS LAST, case_id",
            order_id,
        )
        breaches = await conn.fetch(
            "SELECT kind, severity, raised_at, resolved_at, resolution FROM breaches"
            " WHERE order_id = $1 ORDER BY raised_at, kind",
            order_id,
        )
    return {
        **dict(row),
        "shipments": [dict(r) for r in shipments],
        "disputes": [dict(r) for r in disputes],
        "breaches": [dict(r) for r in breaches],
    }


async def open_breaches(
    pool: asyncpg.Pool,
    *,
    kind: str | None,
    seller_id: str | None,
    severity: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Unresolved breaches, newest first; ``limit + 1`` rows at most."""
    rows = await pool.fetch(
        "SELECT b.order_id, o.seller_id, b.kind, b.severity, b.raised_at, o.state,"
        " o.ship_by_deadline, o.next_due_at FROM breaches b JOIN orders o USING (order_id)"
        " WHERE b.resolved_at IS NULL AND ($1::text IS NULL OR b.kind = $1)"
        " AND ($2::text IS NULL OR o.seller_id = $2)"
        " AND ($3::text IS NULL OR b.severity = $3)"
        " ORDER BY b.raised_at DESC, b.order_id, b.kind LIMIT $4 OFFSET $5",
        kind,
        seller_id,
        severity,
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]


async def open_disputes(pool: asyncpg.Pool, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Disputes not resolved yet, the earliest documents deadline first."""
    rows = await pool.fetch(
        "SELECT d.order_id, o.seller_id, d.case_id, d.shipment_id, d.reported_at, d.documents,"
        " d.expected_delivery, d.documents_deadline FROM disputes d"
        " JOIN orders o USING (order_id) WHERE d.resolution IS NULL"
        " ORDER BY d.documents_deadline NULLS LAST, d.order_id, d.case_id LIMIT $1 OFFSET $2",
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]


async def sellers(pool: asyncpg.Pool, *, limit: int, offset: int) -> list[str]:
    """Seller ids, in order; ``limit + 1`` at most."""
    rows = await pool.fetch(
        "SELECT DISTINCT seller_id FROM orders WHERE seller_id IS NOT NULL"
        " ORDER BY seller_id LIMIT $1 OFFSET $2",
        limit + 1,
        offset,
    )
    return [r["seller_id"] for r in rows]


async def seller_exists(pool: asyncpg.Pool, seller_id: str) -> bool:
    return bool(
        await pool.fetchval("SELECT true FROM orders WHERE seller_id = $1 LIMIT 1", seller_id)
    )


_RECORDS = """
SELECT o.seller_id, o.customer_time_zone, o.ship_by_deadline,
       min(s.shipped_at) AS shipped_at,
       min(COALESCE(s.registered_at, s.first_seen_at)) AS registered_at,
       COALESCE(bool_or(s.invalid_reason IS NULL AND s.last_scan_at IS NOT NULL), false)
           AS tracking_valid,
       min(s.first_estimated_delivery) AS first_estimated_delivery,
       max(s.delivered_at) AS delivered_at,
       EXISTS (SELECT 1 FROM disputes d WHERE d.order_id = o.order_id) AS disputed
FROM orders o LEFT JOIN shipments s USING (order_id)
WHERE o.seller_id IS NOT NULL AND o.cancelled_at IS NULL
  AND ($1::text[] IS NULL OR o.seller_id = ANY($1::text[]))
GROUP BY o.order_id
HAVING o.ship_by_deadline > $2
    OR min(COALESCE(s.registered_at, s.first_seen_at)) > $2
    OR min(s.first_estimated_delivery) > $2::date - 1
    OR max(s.delivered_at) > $2
"""


async def scorecard_records(
    pool: asyncpg.Pool, now: datetime, seller_ids: Sequence[str] | None = None
) -> list[OrderRecord]:
    """The facts of every order (of ``seller_ids``, or all) the longest window can count."""
    since = now - timedelta(days=max(WINDOWS))
    rows = await pool.fetch(_RECORDS, None if seller_ids is None else list(seller_ids), since)
    return [OrderRecord(**dict(r)) for r in rows]
