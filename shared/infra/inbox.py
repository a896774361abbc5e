"""Inbox: consumer-side dedup by event id, inside the transaction of the effects."""

from collections.abc import Sequence

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


async def claim_all(conn: Connection, claims: Sequence[tuple[str, str]]) -> set[str]:
    """Record every ``(event_id, topic)`` in one round trip; returns the ids that were new.

    Like :func:`claim`, call inside the transaction of the effects.
    """
    rows = await conn.fetch(
        "INSERT INTO inbox (event_id, topic) SELECT * FROM unnest($1::text[], $2::text[]) "
        "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        [event_id for event_id, _ in claims],
        [topic for _, topic in claims],
    )
    return {row["event_id"] for row in rows}


async def prune(conn: Connection, older_than_days: int) -> int:
    """Forget ids older than the redelivery horizon; returns how many were removed."""
    status: str = await conn.execute(
        "DELETE FROM inbox WHERE received_at < now() - make_interval(days => $1)",
        older_than_days,
    )
    return int(status.split()[-1])
