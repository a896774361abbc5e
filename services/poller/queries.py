"""Read-only queries of the poller's query API (schema ``poller``)."""

from typing import Any

import asyncpg

_SHIPMENT_COLUMNS = (
    "shipment_id, order_id, carrier, tracking_number, generation, lifecycle, status,"
    " tracked_since, last_change_at, terminal_at, estimated_delivery, delivered_at,"
    " polled_at, next_poll_at, last_outcome"
)


async def shipments(
    pool: asyncpg.Pool,
    *,
    order_id: str | None,
    tracking_number: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Shipments of an order or with a tracking number (one of them), oldest first;
    ``limit + 1`` rows at most."""
    rows = await pool.fetch(
        f"SELECT {_SHIPMENT_COLUMNS} FROM shipments"  # noqa: S608 - constant columns
        " WHERE ($1::text IS NULL OR order_id = $1)"
        " AND ($2::text IS NULL OR tracking_number = $2)"
        " ORDER BY tracked_since, shipment_id LIMIT $3 OFFSET $4",
        order_id,
        tracking_number,
        limit + 1,
        offset,
    )
    return [dict(row) for row in rows]


async def shipment(pool: asyncpg.Pool, shipment_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f"SELECT {_SHIPMENT_COLUMNS} FROM shipments WHERE shipment_id = $1",  # noqa: S608
        shipment_id,
    )
    return dict(row) if row else None


async def scans(
    pool: asyncpg.Pool, shipment_id: str, generation: int, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The scans of the shipment's current registration in carrier time order (scans
    without a time last); ``limit + 1`` rows at most."""
    rows = await pool.fetch(
        "SELECT fingerprint, status, carrier_code, description, occurred_at,"
        " occurred_at_local, location, delayed, source, observed_at FROM scans"
        " WHERE shipment_id = $1 AND generation = $2"
        " ORDER BY occurred_at NULLS LAST, observed_at, fingerprint LIMIT $3 OFFSET $4",
        shipment_id,
        generation,
        limit + 1,
        offset,
    )
    return [dict(row) for row in rows]
