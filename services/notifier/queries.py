"""Read-only queries of the notifier's query API (schema ``notifier``)."""

from typing import Any

import asyncpg


async def order_known(pool: asyncpg.Pool, order_id: str) -> bool:
    """Whether the notifier has heard of the order (its details or a message for it)."""
    return bool(
        await pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM orders WHERE order_id = $1)"
            " OR EXISTS (SELECT 1 FROM notifications WHERE order_id = $1)",
            order_id,
        )
    )


async def notifications(
    pool: asyncpg.Pool, order_id: str, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The order's notifications, oldest first, with their trigger's event type;
    ``limit + 1`` rows at most."""
    rows = await pool.fetch(
        "SELECT n.id, n.dedup_key, n.kind, n.state, n.attempts, n.created_at, n.finished_at,"
        " n.trigger_event_id, t.event ->> 'type' AS trigger_type"
        " FROM notifications n JOIN triggers t ON t.event_id = n.trigger_event_id"
        " WHERE n.order_id = $1 ORDER BY n.created_at, n.id LIMIT $2 OFFSET $3",
        order_id,
        limit + 1,
        offset,
    )
    return [dict(r) for r in rows]
