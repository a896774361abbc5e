"""Inbox: consumer-side dedup by event id, inside the transaction of the effects."""

from shared.infra.db import Connection


async def claim(conn: Connection, event_id: str, topic: str) -> bool:
    """Record ``event_id``; False when it was already processed (a redelivery).

    Call inside the transaction that applies the event's effects, so that the id and
    the effects commit (or roll back) together.
    """
    inserted = await conn.fetchval(
        "INSERT INTO inbox (event_id, topic) VALUES ($1, $2) "
        "ON CONFLICT (event_id) DO NOTHING RETURNING true",
        event_id,
        topic,
    )
    return bool(inserted)


async def prune(conn: Connection, older_than_days: int) -> int:
    """Forget ids older than the redelivery horizon; returns how many were removed."""
    status: str = await conn.execute(
        "DELETE FROM inbox WHERE received_at < now() - make_interval(days => $1)",
        older_than_days,
    )
    return int(status.split()[-1])
