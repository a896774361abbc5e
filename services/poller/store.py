"""PostgreSQL access of the poller (schema ``poller``): shipments, scans, raw documents.

Each function runs on the connection it is given, in the caller's transaction: the use
cases (:mod:`services.poller.service`) write every state change with its outbox rows in one.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.poller.spec import SPEC
from services.poller.tracking import Lifecycle, Result, Shipment
from shared.contracts.statuses import TrackingStatus
from shared.infra import db, outbox
from shared.infra.db import Connection


def _shipment(row: asyncpg.Record) -> Shipment:
    return Shipment(
        shipment_id=row["shipment_id"],
        order_id=row["order_id"],
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        generation=row["generation"],
        tracked_since=row["tracked_since"],
        last_change_at=row["last_change_at"],
        lifecycle=Lifecycle(row["lifecycle"]),
        status=TrackingStatus(row["status"]) if row["status"] else None,
        terminal_at=row["terminal_at"],
        not_found_since=row["not_found_since"],
        estimated_delivery=row["estimated_delivery"],
        delivered_at=row["delivered_at"],
        signed_by=row["signed_by"],
    )


async def locked_all(conn: Connection, shipment_ids: Sequence[str]) -> dict[str, Shipment]:
    """The shipments among ``shipment_ids`` that exist, row-locked (in id order, so that
    transactions locking overlapping sets never deadlock) until the end of the caller's
    transaction."""
    rows = await conn.fetch(
        "SELECT * FROM shipments WHERE shipment_id = ANY($1::text[])"
        " ORDER BY shipment_id FOR UPDATE",
        sorted(set(shipment_ids)),
    )
    return {row["shipment_id"]: _shipment(row) for row in rows}


async def register(conn: Connection, results: Sequence[Result]) -> None:
    """Insert or replace the shipments of registrations (the last one of each shipment
    wins), then their events in order, in ``conn``'s transaction: two statements."""
    latest = {r.shipment.shipment_id: r for r in results}
    if not latest:
        return
    columns = zip(
        *(
            (
                s.shipment_id,
                s.order_id,
                s.carrier,
                s.tracking_number,
                s.generation,
                s.lifecycle.value,
                s.tracked_since,
                s.last_change_at,
                r.next_poll_at,
            )
            for r in latest.values()
            for s in (r.shipment,)
        ),
        strict=True,
    )
    await conn.execute(
        """
        INSERT INTO shipments (shipment_id, order_id, carrier, tracking_number, generation,
                               lifecycle, tracked_since, last_change_at, next_poll_at)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[],
                             $6::text[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[])
        ON CONFLICT (shipment_id) DO UPDATE SET
            order_id = EXCLUDED.order_id, carrier = EXCLUDED.carrier,
            tracking_number = EXCLUDED.tracking_number, generation = EXCLUDED.generation,
            lifecycle = EXCLUDED.lifecycle, tracked_since = EXCLUDED.tracked_since,
            last_change_at = EXCLUDED.last_change_at, next_poll_at = EXCLUDED.next_poll_at,
            status = NULL, terminal_at = NULL, not_found_since = NULL,
            estimated_delivery = NULL, delivered_at = NULL, signed_by = NULL,
            claimed_by = NULL, claimed_at = NULL, polled_at = NULL, last_outcome = NULL,
            updated_at = now()
        """,
        *(list(c) for c in columns),
    )
    await outbox.enqueue(conn, SPEC.schema, [e for r in results for e in r.events])


async def claim(
    conn: Connection,
    carrier: str,
    limit: int,
    *,
    now: datetime,
    lease: timedelta,
    worker: str,
) -> list[Shipment]:
    """Take up to ``limit`` due shipments of ``carrier``: they are not due again (for any
    replica) until ``now + lease``, by which time the poll has written its result."""
    rows = await conn.fetch(
        """
        WITH due AS (
            SELECT shipment_id FROM shipments
            WHERE carrier = $1 AND next_poll_at <= $2
            ORDER BY next_poll_at
            LIMIT $3
            FOR UPDATE SKIP LOCKED
        )
        UPDATE shipments AS s
        SET next_poll_at = $2 + $4::interval, claimed_by = $5, claimed_at = $2
        FROM due WHERE s.shipment_id = due.shipment_id
        RETURNING s.*
        """,
        carrier,
        now,
        limit,
        lease,
        worker,
    )
    return [_shipment(row) for row in rows]


async def known_fingerprints(
    conn: Connection, registrations: Sequence[tuple[str, int]]
) -> dict[str, set[str]]:
    """The fingerprints of the scans stored for each ``(shipment_id, generation)``, by
    shipment id (an empty set for one without scans). One statement."""
    known: dict[str, set[str]] = {shipment_id: set() for shipment_id, _ in registrations}
    if not known:
        return known
    ids, generations = zip(*registrations, strict=True)
    rows = await conn.fetch(
        "SELECT s.shipment_id, s.fingerprint FROM scans s"
        " JOIN unnest($1::text[], $2::int[]) AS r(shipment_id, generation)"
        " USING (shipment_id, generation)",
        list(ids),
        list(generations),
    )
    for row in rows:
        known[row["shipment_id"]].add(row["fingerprint"])
    return known


@dataclass(frozen=True)
class AnswerWrite:
    """A carrier answer's effects on one shipment, and where the answer came from."""

    result: Result
    source: str
    """``poll`` or ``push``."""
    raw: bytes | None
    """The carrier's document (kept when it showed new scans)."""
    outcome: str
    """What the answer was (``last_outcome``)."""


_SAVE_SCANS = """
INSERT INTO scans (shipment_id, generation, fingerprint, status, carrier_code, description,
                   occurred_at, occurred_at_local, location, delayed, source, raw_digest,
                   observed_at)
SELECT *, $13::timestamptz FROM unnest(
    $1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::timestamptz[], $8::text[], $9::jsonb[], $10::bool[], $11::text[], $12::text[])
ON CONFLICT DO NOTHING
"""

_SAVE_SHIPMENTS = """
UPDATE shipments AS s SET
    lifecycle = u.lifecycle, status = u.status, last_change_at = u.last_change_at,
    terminal_at = u.terminal_at, not_found_since = u.not_found_since,
    estimated_delivery = u.estimated_delivery, delivered_at = u.delivered_at,
    signed_by = u.signed_by, next_poll_at = u.next_poll_at, polled_at = $12,
    last_outcome = u.last_outcome, updated_at = now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[],
            $6::timestamptz[], $7::date[], $8::timestamptz[], $9::text[], $10::timestamptz[],
            $11::text[])
    AS u(shipment_id, lifecycle, status, last_change_at, terminal_at, not_found_since,
         estimated_delivery, delivered_at, signed_by, next_poll_at, last_outcome)
WHERE s.shipment_id = u.shipment_id
"""


async def save(conn: Connection, writes: Sequence[AnswerWrite], *, now: datetime) -> None:
    """Write carrier answers' effects (in their order; the last one of a shipment sets its
    state): the documents that showed new scans, once each, the new scans, the shipments'
    state and next poll, the outbox rows. At most four statements."""
    digests = await _documents(conn, writes, now)
    scans = [
        (
            w.result.shipment.shipment_id,
            w.result.shipment.generation,
            item.fingerprint,
            item.scan.status.value,
            item.scan.carrier_code,
            item.scan.description,
            item.scan.occurred_at,
            item.scan.occurred_at_local,
            item.scan.location.model_dump(mode="json") if item.scan.location else None,
            item.scan.delayed,
            w.source,
            digests.get(w.raw) if w.raw is not None else None,
        )
        for w in writes
        for item in w.result.scans
    ]
    if scans:
        await conn.execute(_SAVE_SCANS, *db.columns(scans, 12), now)
    latest = {w.result.shipment.shipment_id: w for w in writes}
    shipments = [
        (
            s.shipment_id,
            s.lifecycle.value,
            s.status.value if s.status else None,
            s.last_change_at,
            s.terminal_at,
            s.not_found_since,
            s.estimated_delivery,
            s.delivered_at,
            s.signed_by,
            w.result.next_poll_at,
            w.outcome,
        )
        for w in latest.values()
        for s in (w.result.shipment,)
    ]
    if shipments:
        await conn.execute(_SAVE_SHIPMENTS, *db.columns(shipments, 11), now)
    await outbox.enqueue(conn, SPEC.schema, [e for w in writes for e in w.result.events])


async def _documents(
    conn: Connection, writes: Sequence[AnswerWrite], now: datetime
) -> dict[bytes, str]:
    """Keep each document that showed new scans, once (keyed by its SHA-256); returns the
    digests of those kept, by document (one that is not JSON is not kept)."""
    documents: dict[bytes, tuple[str, str, str, Any]] = {}
    for w in writes:
        if not w.result.scans or w.raw is None or w.raw in documents:
            continue
        try:
            body: Any = json.loads(w.raw)
        except ValueError:
            continue
        digest = hashlib.sha256(w.raw).hexdigest()
        documents[w.raw] = (digest, w.result.shipment.carrier, w.source, body)
    if documents:
        digests, carriers, sources, bodies = zip(*documents.values(), strict=True)
        await conn.execute(
            "INSERT INTO raw_documents (digest, carrier, source, received_at, body)"
            " SELECT d, c, s, $4, b FROM unnest($1::text[], $2::text[], $3::text[], $5::jsonb[])"
            " AS r(d, c, s, b) ON CONFLICT (digest) DO NOTHING",
            list(digests),
            list(carriers),
            list(sources),
            now,
            list(bodies),
        )
    return {raw: document[0] for raw, document in documents.items()}


async def active_with_number(
    conn: Connection, carrier: str, tracking_number: str
) -> list[tuple[str, int]]:
    """``(shipment_id, generation)`` of the polled shipments with this number."""
    rows = await conn.fetch(
        "SELECT shipment_id, generation FROM shipments "
        "WHERE carrier = $1 AND tracking_number = $2 AND lifecycle = 'active'",
        carrier,
        tracking_number,
    )
    return [(r["shipment_id"], r["generation"]) for r in rows]


async def active_by_status(conn: Connection) -> list[tuple[str, str, int]]:
    """``(carrier, status, count)`` of the shipments still polled (``pending``: no status)."""
    rows = await conn.fetch(
        "SELECT carrier, COALESCE(status, 'pending') AS status, count(*) AS n "
        "FROM shipments WHERE lifecycle = 'active' GROUP BY carrier, status"
    )
    return [(r["carrier"], r["status"], r["n"]) for r in rows]


async def oldest_due(conn: Connection, carrier: str, now: datetime) -> datetime | None:
    """The earliest ``next_poll_at`` of ``carrier`` that is already due, if any."""
    value: datetime | None = await conn.fetchval(
        "SELECT min(next_poll_at) FROM shipments WHERE carrier = $1 AND next_poll_at <= $2",
        carrier,
        now,
    )
    return value
