"""The notifier's tables (schema ``notifier``): orders, trigger events, notification rows.

Every function takes a connection; callers own the transactions.
"""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.notifier.context import OrderInfo
from services.notifier.kinds import MessageKind
from services.notifier.routing import Notification, policy
from services.notifier.spec import SPEC
from shared.contracts.envelope import CloudEvent, decode
from shared.infra import db, outbox
from shared.infra.db import Connection

CHANNEL = "notifier_send"
"""NOTIFY channel that wakes the sender when rows are claimed."""

_ORDER_LOCK_NAMESPACE = 0x4E4F  # "NO"
_SEND_LOCK_BASE = 0x4E53 << 48  # "NS": session advisory locks of rows being sent


# --- consumer side ----------------------------------------------------------------------


async def lock_orders(conn: Connection, order_ids: Collection[str]) -> None:
    """Serialize, until the transaction ends, the handlers touching these orders: an order
    and a trigger arriving together on two topics must not miss each other. The locks are
    taken in one order (by key), so consumers locking overlapping batches never deadlock."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, key) FROM"
        " (SELECT DISTINCT hashtext(id) AS key FROM unnest($2::text[]) AS id ORDER BY 1) AS keys",
        _ORDER_LOCK_NAMESPACE,
        list(order_ids),
    )


async def save_orders(conn: Connection, orders: Sequence[OrderInfo], now: datetime) -> None:
    """Keep the orders (one per id: the caller keeps each order's latest). One statement."""
    if not orders:
        return
    await conn.execute(
        "INSERT INTO orders (order_id, info, updated_at)"
        " SELECT id, info, $3 FROM unnest($1::text[], $2::jsonb[]) AS o(id, info)"
        " ON CONFLICT (order_id) DO UPDATE"
        " SET info = EXCLUDED.info, updated_at = EXCLUDED.updated_at",
        [order.order_id for order in orders],
        [order.model_dump(mode="json") for order in orders],
        now,
    )


async def waiting_triggers(
    conn: Connection, order_ids: Collection[str]
) -> dict[str, list[CloudEvent[Any]]]:
    """The events kept awaiting each of these orders, oldest first, by order id. One
    statement."""
    rows = await conn.fetch(
        "SELECT order_id, event FROM triggers"
        " WHERE order_id = ANY($1::text[]) AND routed_at IS NULL"
        " ORDER BY received_at, event_id",
        list(order_ids),
    )
    waiting: dict[str, list[CloudEvent[Any]]] = {}
    for row in rows:
        waiting.setdefault(row["order_id"], []).append(decode(json.dumps(row["event"])))
    return waiting


async def known_orders(conn: Connection, order_ids: Collection[str]) -> dict[str, OrderInfo]:
    """The orders already kept among ``order_ids``, by id. One statement."""
    rows = await conn.fetch(
        "SELECT order_id, info FROM orders WHERE order_id = ANY($1::text[])", list(order_ids)
    )
    return {row["order_id"]: OrderInfo.model_validate(row["info"]) for row in rows}


@dataclass(frozen=True)
class KeptTrigger:
    """A triggering event to keep: when it came, and when it was routed (``None``: it
    awaits its order)."""

    event: CloudEvent[Any]
    received_at: datetime
    routed_at: datetime | None


def _keep(first: int) -> str:
    """The statement keeping triggering events (an event id once), its parameters from
    ``$first`` on (see :func:`_kept_columns`)."""
    p = [f"${n}" for n in range(first, first + 5)]
    return (
        "INSERT INTO triggers (event_id, order_id, event, received_at, routed_at)"  # noqa: S608
        f" SELECT * FROM unnest({p[0]}::text[], {p[1]}::text[], {p[2]}::jsonb[],"
        f" {p[3]}::timestamptz[], {p[4]}::timestamptz[]) ON CONFLICT (event_id) DO NOTHING"
    )


def _kept_columns(kept: Sequence[KeptTrigger]) -> list[list[Any]]:
    return [
        [k.event.id for k in kept],
        [k.event.subject for k in kept],
        [k.event.model_dump(mode="json") for k in kept],
        [k.received_at for k in kept],
        [k.routed_at for k in kept],
    ]


async def mark_routed(conn: Connection, event_ids: Sequence[str], now: datetime) -> None:
    await conn.execute(
        "UPDATE triggers SET routed_at = $2 WHERE event_id = ANY($1::text[])", list(event_ids), now
    )


@dataclass(frozen=True)
class Claim:
    """A notification to claim for the order of ``trigger``, decided at ``now``."""

    notification: Notification
    trigger: CloudEvent[Any]
    now: datetime


_CLAIM = """
WITH u AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                         $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[])
        AS u(dedup_key, order_id, kind, trigger_id, not_before, now, blocked_by, withdraws,
             follows, note)
), free AS (
    SELECT * FROM u WHERE NOT EXISTS (
        SELECT 1 FROM notifications n
        WHERE n.order_id = u.order_id AND n.kind = ANY(string_to_array(u.blocked_by, ',')))
), withdrawn AS (
    UPDATE notifications n SET state = 'skipped', finished_at = f.now, last_error = f.note
    FROM free f
    WHERE n.order_id = f.order_id AND n.kind = ANY(string_to_array(f.withdraws, ','))
      AND n.state = 'pending'
), added AS (
    INSERT INTO notifications
        (dedup_key, order_id, kind, trigger_event_id, next_attempt_at, created_at)
    SELECT f.dedup_key, f.order_id, f.kind, f.trigger_id, f.not_before, f.now FROM free f
    WHERE f.follows = '' OR EXISTS (
        SELECT 1 FROM notifications n
        WHERE n.order_id = f.order_id AND n.kind = ANY(string_to_array(f.follows, ','))
          AND n.state IN ('sent', 'sending'))
    ON CONFLICT (dedup_key) DO NOTHING RETURNING 1
)
SELECT pg_notify($11, '') WHERE EXISTS (SELECT 1 FROM added)
"""
"""Claims of distinct orders, each by its kind's policy: nothing if the order has a message
of a kind that blocks it; else withdraw the pending messages it makes moot, and insert it
(a follow-up only after what it follows was sent) unless its dedup key is taken; the
senders are woken when it commits. (Withdrawing touches pending rows only, so the checks
need not see it.)"""


_KEEP_AND_CLAIM = f"WITH kept AS ({_keep(12)}), " + _CLAIM.strip().removeprefix("WITH ")
"""A first round of claims keeping the batch's triggering events in the same statement."""


async def claim(conn: Connection, claims: Sequence[Claim], kept: Sequence[KeptTrigger]) -> None:
    """Keep the triggering events ``kept``, and insert the rows not claimed before (by dedup
    key), applying each kind's :func:`~services.notifier.routing.policy`, in the given order
    per order: a statement takes the next claim of every order (so each claim sees those of
    its order before it), the first one keeping the events too."""
    rounds: list[list[tuple[Any, ...]]] = []
    taken: dict[str, int] = {}
    for c in claims:
        n = taken[c.trigger.subject] = taken.get(c.trigger.subject, -1) + 1
        if n == len(rounds):
            rounds.append([])
        rules = policy(c.notification.kind)
        rounds[n].append(
            (
                c.notification.dedup_key,
                c.trigger.subject,
                c.notification.kind.value,
                c.trigger.id,
                c.notification.not_before or c.now,
                c.now,
                ",".join(kind.value for kind in rules.blocked_by),
                ",".join(kind.value for kind in rules.withdraws),
                ",".join(kind.value for kind in rules.follows),
                f"withdrawn: {c.notification.kind} made it moot",
            )
        )
    if not rounds:
        if kept:
            await conn.execute(_keep(1), *_kept_columns(kept))
        return
    first, *rest = rounds
    if kept:
        await conn.execute(_KEEP_AND_CLAIM, *db.columns(first, 10), CHANNEL, *_kept_columns(kept))
    else:
        await conn.execute(_CLAIM, *db.columns(first, 10), CHANNEL)
    for rows in rest:
        await conn.execute(_CLAIM, *db.columns(rows, 10), CHANNEL)


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


_CLAIM_DUE = """
WITH due AS (
    SELECT id FROM notifications WHERE state = 'pending' AND next_attempt_at <= $1
    ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
), held AS (
    SELECT id FROM due WHERE pg_try_advisory_lock($3 + id)
)
UPDATE notifications n SET state = 'sending', attempts = n.attempts + 1
FROM held, triggers t, orders o
WHERE n.id = held.id AND t.event_id = n.trigger_event_id AND o.order_id = n.order_id
RETURNING n.id, n.dedup_key, n.kind, n.attempts, n.created_at, t.event, o.info
"""


async def claim_due(conn: Connection, now: datetime, limit: int) -> list[Claimed]:
    """Take up to ``limit`` due rows, oldest first: mark them ``sending`` and hold, on
    ``conn``'s session, the advisory lock of each until it is released (:func:`release`) or
    the session ends. One statement; rows locked by another sender are skipped."""
    rows = await conn.fetch(_CLAIM_DUE, now, limit, _SEND_LOCK_BASE)
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


async def release(conn: Connection, notification_ids: Sequence[int]) -> None:
    """Drop the in-flight locks of rows once their outcomes are recorded."""
    await conn.execute(
        "SELECT pg_advisory_unlock($2 + id) FROM unnest($1::bigint[]) AS id",
        list(notification_ids),
        _SEND_LOCK_BASE,
    )


async def record(
    conn: Connection,
    final: Sequence[tuple[int, str, str | None]],
    retries: Sequence[tuple[int, datetime, str]],
    events: Sequence[tuple[int, CloudEvent[Any]]],
    now: datetime,
) -> None:
    """Record send outcomes in one statement (atomic by itself): final states (``(id,
    sent|failed|skipped, error)``), with the events of those recorded (``(id, event)``, to
    the outbox as :func:`~shared.infra.outbox.enqueue` writes them, and its relay woken);
    retries back in the queue (``(id, next attempt, error)``). Only rows still ``sending``
    (still ours) change: a row recovered meanwhile keeps its state and gets no event."""
    ids, states, errors = db.columns(final, 3)
    retry_ids, times, retry_errors = db.columns(retries, 3)
    owners = [row_id for row_id, _ in events]
    event_ids, topics, keys, payloads = outbox.columns(event for _, event in events)
    await conn.execute(
        "WITH done AS ("
        " UPDATE notifications n SET state = u.state, finished_at = $4, last_error = u.error"
        " FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, state, error)"
        " WHERE n.id = u.id AND n.state = 'sending' RETURNING n.id),"
        " retried AS ("
        " UPDATE notifications n SET state = 'pending', next_attempt_at = u.at,"
        " last_error = u.error"
        " FROM unnest($5::bigint[], $6::timestamptz[], $7::text[]) AS u(id, at, error)"
        " WHERE n.id = u.id AND n.state = 'sending'),"
        " added AS ("
        " INSERT INTO outbox (event_id, topic, key, payload)"
        " SELECT e.id, e.topic, e.key, e.payload"
        " FROM unnest($8::bigint[], $9::text[], $10::text[], $11::bytea[], $12::bytea[])"
        " WITH ORDINALITY AS e(owner, id, topic, key, payload, n)"
        " WHERE e.owner IN (SELECT id FROM done) ORDER BY e.n"
        " ON CONFLICT (event_id) DO NOTHING RETURNING 1)"
        " SELECT pg_notify($13, '') FROM (SELECT FROM added LIMIT 1) AS any_added",
        ids,
        states,
        errors,
        now,
        retry_ids,
        times,
        retry_errors,
        owners,
        event_ids,
        topics,
        keys,
        payloads,
        outbox.channel(SPEC.schema),
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
