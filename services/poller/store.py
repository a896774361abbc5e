"""PostgreSQL access of the poller (schema ``poller``): shipments, scans, raw documents.

Each function runs on the connection it is given, in the caller's transaction: the use
cases (:mod:`services.poller.service`) write every state change with its outbox rows in one.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.poller.spec import SPEC
from services.poller.tracking import Lifecycle, Result, Shipment
from shared.contracts.statuses import TrackingStatus
from shared.infra import outbox
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


async def locked(conn: Connection, shipment_id: str) -> Shipment | None:
    """The shipment, row-locked until the end of the caller's transaction."""
    row = await conn.fetchrow(
        "SELECT * FROM shipments WHERE shipment_id = $1 FOR UPDATE", shipment_id
    )
    return _shipment(row) if row else None


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


async def known_fingerprints(conn: Connection, shipment_id: str, generation: int) -> frozenset[str]:
    """The fingerprints of the scans stored for this registration of the shipment."""
    rows = await conn.fetch(
        "SELECT fingerprint FROM scans WHERE shipment_id = $1 AND generation = $2",
        shipment_id,
        generation,
    )
    return frozenset(r["fingerprint"] for r in rows)


async def save(
    conn: Connection,
    result: Result,
    *,
    source: str,
    raw: bytes | None,
    outcome: str,
    now: datetime,
) -> None:
    """Write a carrier answer's effects: new scans (with the document that showed them),
    the shipment's state and next poll, the outbox rows."""
    s = result.shipment
    digest = await _raw(conn, s.carrier, source, raw, now) if result.scans and raw else None
    if result.scans:
        await conn.executemany(
            """
            INSERT INTO scans (shipment_id, generation, fingerprint, status, carrier_code,
                               description, occurred_at, occurred_at_local, location, delayed,
                               source, raw_digest, observed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT DO NOTHING
            """,
            [
                (
                    s.shipment_id,
                    s.generation,
                    item.fingerprint,
                    item.scan.status.value,
                    item.scan.carrier_code,
                    item.scan.description,
                    item.scan.occurred_at,
                    item.scan.occurred_at_local,
                    item.scan.location.model_dump(mode="json") if item.scan.location else None,
                    item.scan.delayed,
                    source,
                    digest,
                    now,
                )
                for item in result.scans
            ],
        )
    await conn.execute(
        """
        UPDATE shipments SET
            lifecycle = $2, status = $3, last_change_at = $4, terminal_at = $5,
            not_found_since = $6, estimated_delivery = $7, delivered_at = $8, signed_by = $9,
            next_poll_at = $10, polled_at = $11, last_outcome = $12, updated_at = now()
        WHERE shipment_id = $1
        """,
        s.shipment_id,
        s.lifecycle.value,
        s.status.value if s.status else None,
        s.last_change_at,
        s.terminal_at,
        s.not_found_since,
        s.estimated_delivery,
        s.delivered_at,
        s.signed_by,
        result.next_poll_at,
        now,
        outcome,
    )
    await outbox.enqueue(conn, SPEC.schema, result.events)


async def _raw(
    conn: Connection, carrier: str, source: str, raw: bytes, now: datetime
) -> str | None:
    """Keep the document that showed new scans, once (keyed by its SHA-256)."""
    try:
        body: Any = json.loads(raw)
    except ValueError:
        return None
    digest = hashlib.sha256(raw).hexdigest()
    await conn.execute(
        "INSERT INTO raw_documents (digest, carrier, source, received_at, body) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (digest) DO NOTHING",
        digest,
        carrier,
        source,
        now,
        body,
    )
    return digest


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
