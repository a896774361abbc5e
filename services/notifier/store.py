"""The notifier's tables (schema ``notifier``): orders, trigger events, notification rows.

Every function takes a connection; callers own the transactions.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.notifier.context import OrderInfo
from services.notifier.kinds import MessageKind
from services.notifier.routing import Notification, policy
from shared.contracts.envelope import CloudEvent, decode
from shared.infra.db import Connection

CHANNEL = "notifier_send"
"""NOTIFY channel that wakes the sender when rows are claimed."""

_ORDER_LOCK_NAMESPACE = 0x4E4F  # "NO"
_SEND_LOCK_BASE = 0x4E53 << 48  # "NS": session advisory locks of rows being sent


def send_lock(notification_id: int) -> int:
    """The advisory lock a live sender holds while row ``notification_id`` is in flight."""
    return _SEND_LOCK_BASE + notification_id


# --- consumer side ----------------------------------------------------------------------


async def lock_order(conn: Connection, order_id: str) -> None:
    """Serialize, until the transaction ends, the handlers touching ``order_id``: an order
    and a trigger arriving together on two topics must not miss each other."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))", _ORDER_LOCK_NAMESPACE, order_id
    )


async def save_order(conn: Connection, order: OrderInfo, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO orders (order_id, info, updated_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (order_id) DO UPDATE "
        "SET info = EXCLUDED.info, updated_at = EXCLUDED.updated_at",
        order.order_id,
        order.model_dump(mode="json"),
        now,
    )


async def load_order(conn: Connection, order_id: str) -> OrderInfo | None:
    info = await conn.fetchval("SELECT info FROM orders WHERE order_id = $1", order_id)
    return None if info is None else OrderInfo.model_validate(info)


async def save_trigger(
    conn: Connection, event: CloudEvent[Any], now: datetime, *, routed: bool
) -> None:
    """Keep a triggering event; ``routed=False`` while its order is unknown."""
    await conn.execute(
        "INSERT INTO triggers (event_id, order_id, event, received_at, routed_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
        event.id,
        event.subject,
        event.model_dump(mode="json"),
        now,
        now if routed else None,
    )


async def awaiting_triggers(conn: Connection, order_id: str) -> list[CloudEvent[Any]]:
    """The events of ``order_id`` that came before it, oldest first."""
    rows = await conn.fetch(
        "SELECT event FROM triggers WHERE order_id = $1 AND routed_at IS NULL "
        "ORDER BY received_at, event_id",
        order_id,
    )
    return [decode(json.dumps(row["event"])) for row in rows]


async def mark_routed(conn: Connection, event_ids: Sequence[str], now: datetime) -> None:
    await conn.execute(
        "UPDATE triggers SET routed_at = $2 WHERE event_id = ANY($1::text[])", list(event_ids), now
    )


async def claim(
    conn: Connection,
    notifications: Sequence[Notification],
    *,
    order_id: str,
    trigger_event_id: str,
    now: datetime,
) -> int:
    """Insert the rows not claimed before (by dedup key), applying each kind's
    :func:`~services.notifier.routing.policy`; returns how many are new."""
    claimed = 0
    for notification in notifications:
        rules = policy(notification.kind)
        if rules.blocked_by and await _has(conn, order_id, rules.blocked_by):
            continue
        if rules.withdraws:
            await conn.execute(
                "UPDATE notifications SET state = 'skipped', finished_at = $3, last_error = $4"
                " WHERE order_id = $1 AND kind = ANY($2::text[]) AND state = 'pending'",
                order_id,
                [kind.value for kind in rules.withdraws],
                now,
                f"withdrawn: {notification.kind} made it moot",
            )
        if rules.follows and not await _has(conn, order_id, rules.follows, ("sent", "sending")):
            continue
        inserted = await conn.fetchval(
            "INSERT INTO notifications"
            " (dedup_key, order_id, kind, trigger_event_id, next_attempt_at, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedup_key) DO NOTHING RETURNING 1",
            notification.dedup_key,
            order_id,
            notification.kind.value,
            trigger_event_id,
            notification.not_before or now,
            now,
        )
        claimed += 1 if inserted else 0
    if claimed:
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return claimed


async def _has(
    conn: Connection,
    order_id: str,
    kinds: frozenset[MessageKind],
    states: tuple[str, ...] = ("pending", "sending", "sent", "failed", "skipped"),
) -> bool:
    """Whether the order has a message of one of ``kinds`` in one of ``states``."""
    found = await conn.fetchval(
        "SELECT true FROM notifications WHERE order_id = $1 AND kind = ANY($2::text[])"
        " AND state = ANY($3::text[]) LIMIT 1",
        order_id,
        [kind.value for kind in kinds],
        list(states),
    )
    return bool(found)


# --- sender side ------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A row taken for sending, with what rendering needs."""

    id: int
    dedup_key: str
    kind: MessageKind
    attempts: int
    created_at: datetime
    order: OrderInfo
    trigger: CloudEvent[Any]


async def claim_due(conn: Connection, now: datetime, limit: int) -> list[Claimed]:
    """Take up to ``limit`` due rows: mark them ``sending`` and hold, on ``conn``'s session,
    the advisory lock of each until it is released (:func:`release`) or the session ends.

    Run in a transaction. Rows locked by another sender are skipped.
    """
    ids = await conn.fetch(
        "SELECT id FROM notifications WHERE state = 'pending' AND next_attempt_at <= $1 "
        "ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    if not ids:
        return []
    held = await conn.fetch(
        "SELECT id FROM unnest($1::bigint[]) AS id WHERE pg_try_advisory_lock($2 + id)",
        [row["id"] for row in ids],
        _SEND_LOCK_BASE,
    )
    rows = await conn.fetch(
        "UPDATE notifications n SET state = 'sending', attempts = n.attempts + 1 "
        "FROM triggers t, orders o "
        "WHERE n.id = ANY($1::bigint[]) AND t.event_id = n.trigger_event_id "
        "AND o.order_id = n.order_id "
        "RETURNING n.id, n.dedup_key, n.kind, n.attempts, n.created_at, t.event, o.info",
        [row["id"] for row in held],
    )
    return [
        Claimed(
            id=row["id"],
            dedup_key=row["dedup_key"],
            kind=MessageKind(row["kind"]),
            attempts=row["attempts"],
            created_at=row["created_at"],
            order=OrderInfo.model_validate(row["info"]),
            trigger=decode(json.dumps(row["event"])),
        )
        for row in sorted(rows, key=lambda r: int(r["id"]))
    ]


async def release(conn: Connection, notification_id: int) -> None:
    """Drop the in-flight lock of a row once its outcome is recorded."""
    await conn.execute("SELECT pg_advisory_unlock($1)", send_lock(notification_id))


async def finish(
    conn: Connection, notification_id: int, state: str, now: datetime, error: str | None = None
) -> bool:
    """Record a final state (sent, failed, skipped); False if the row is no longer ours."""
    done = await conn.fetchval(
        "UPDATE notifications SET state = $2, finished_at = $3, last_error = $4 "
        "WHERE id = $1 AND state = 'sending' RETURNING true",
        notification_id,
        state,
        now,
        error,
    )
    return bool(done)


async def reschedule(conn: Connection, notification_id: int, at: datetime, error: str) -> None:
    """Put a row back in the queue for another attempt at ``at``."""
    await conn.execute(
        "UPDATE notifications SET state = 'pending', next_attempt_at = $2, last_error = $3 "
        "WHERE id = $1 AND state = 'sending'",
        notification_id,
        at,
        error,
    )


async def recover_abandoned(conn: Connection, now: datetime) -> int:
    """Requeue rows left ``sending`` by a sender that died (its session lock is gone);
    returns how many. Run in a transaction."""
    candidates = await conn.fetch(
        "SELECT id FROM notifications WHERE state = 'sending' FOR UPDATE SKIP LOCKED"
    )
    if not candidates:
        return 0
    status: str = await conn.execute(
        "UPDATE notifications SET state = 'pending', next_attempt_at = $3 "
        "WHERE id IN (SELECT id FROM unnest($1::bigint[]) AS id "
        "             WHERE pg_try_advisory_xact_lock($2 + id))",
        [row["id"] for row in candidates],
        _SEND_LOCK_BASE,
        now,
    )
    return int(status.split()[-1])


async def backlog(conn: Connection) -> dict[str, int]:
    """Unfinished work: triggers awaiting their order, queued rows, rows in flight."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM triggers WHERE routed_at IS NULL) AS awaiting_order, "
        "(SELECT count(*) FROM notifications WHERE state = 'pending') AS queued, "
        "(SELECT count(*) FROM notifications WHERE state = 'sending') AS sending"
    )
    assert row is not None
    return {name: int(row[name]) for name in ("awaiting_order", "queued", "sending")}
