"""PostgreSQL access of the sla service (schema ``sla``): facts in, assessments out.

Every function takes a connection inside the caller's transaction. Writers first lock
the orders they write (:func:`lock_orders`, or the sweeper's claims), so the consumers of
both topics and the sweeper never work on the same order at the same time.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.sla.assessment import (
    Assessment,
    Breach,
    DeliveryWindow,
    DisputeFacts,
    OrderDetails,
    OrderFacts,
    ShipmentFacts,
)
from services.sla.tracking import TrackingState
from shared.contracts.events import (
    DeliveryDisputed,
    DisputeDocument,
    DisputeDocumentsReceived,
    DisputeResolution,
    DisputeResolved,
    OrderConfirmed,
    OrderPaymentDeclined,
    OrderPlaced,
    Severity,
    ShipmentRegistered,
    SlaKind,
    TrackingEvent,
    TrackingNumberInvalid,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus
from shared.infra.db import Connection

# --- facts from events ------------------------------------------------------------------


async def lock_orders(conn: Connection, order_ids: Collection[str]) -> None:
    """Create the rows of orders seen for the first time, and lock every one, in order-id
    order: two transactions locking overlapping sets this way never deadlock."""
    ids = sorted(set(order_ids))
    await conn.execute(
        "INSERT INTO orders (order_id) SELECT unnest($1::text[]) ON CONFLICT (order_id) DO NOTHING",
        ids,
    )
    await conn.execute(
        "SELECT 1 FROM orders WHERE order_id = ANY($1::text[]) ORDER BY order_id FOR UPDATE", ids
    )


async def save_order(conn: Connection, data: OrderPlaced | OrderConfirmed) -> None:
    """Keep the order's details; ``order.confirmed`` also starts the ship-by clock."""
    confirmed_at = data.confirmed_at if isinstance(data, OrderConfirmed) else None
    await conn.execute(
        "UPDATE orders SET seller_id = $2, seller_country = $3, seller_subdivision = $4,"
        " seller_time_zone = $5, customer_time_zone = $6, marketplace = $7, large = $8,"
        " placed_at = $9, confirmed_at = COALESCE(confirmed_at, $10), customer_country = $11"
        " WHERE order_id = $1",
        data.order_id,
        data.seller.id,
        data.seller.country,
        data.seller.subdivision,
        data.seller.time_zone,
        data.customer.time_zone,
        data.marketplace,
        any(item.large for item in data.items),
        data.placed_at,
        confirmed_at,
        data.customer.country,
    )


async def save_cancellation(conn: Connection, order_id: str, cancelled_at: datetime) -> None:
    await conn.execute(
        "UPDATE orders SET cancelled_at = COALESCE(cancelled_at, $2) WHERE order_id = $1",
        order_id,
        cancelled_at,
    )


async def save_payment_declined(conn: Connection, data: OrderPaymentDeclined) -> None:
    await conn.execute(
        "UPDATE orders SET payment_declined_at = COALESCE(payment_declined_at, $2)"
        " WHERE order_id = $1",
        data.order_id,
        data.declined_at,
    )


async def _shipment(
    conn: Connection,
    data: ShipmentRegistered | TrackingEvent | TrackingStatusChanged | TrackingNumberInvalid,
    seen_at: datetime,
) -> None:
    """Create the shipment on its first mention (by either topic); a new carrier or
    tracking number forgets an earlier verdict of invalidity."""
    await conn.execute(
        "INSERT INTO shipments (order_id, shipment_id, carrier, tracking_number, first_seen_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id, shipment_id) DO UPDATE SET"
        " carrier = EXCLUDED.carrier, tracking_number = EXCLUDED.tracking_number,"
        " invalid_reason = CASE WHEN (shipments.carrier, shipments.tracking_number)"
        " = (EXCLUDED.carrier, EXCLUDED.tracking_number) THEN shipments.invalid_reason END",
        data.order_id,
        data.shipment_id,
        data.carrier,
        data.tracking_number,
        seen_at,
    )


async def save_registration(conn: Connection, data: ShipmentRegistered) -> None:
    await _shipment(conn, data, data.registered_at)
    await conn.execute(
        "UPDATE shipments SET registered_at = COALESCE(registered_at, $3)"
        " WHERE order_id = $1 AND shipment_id = $2",
        data.order_id,
        data.shipment_id,
        data.registered_at,
    )


async def save_invalid_number(conn: Connection, data: TrackingNumberInvalid) -> None:
    await _shipment(conn, data, data.detected_at)
    await conn.execute(
        "UPDATE shipments SET invalid_reason = $3 WHERE order_id = $1 AND shipment_id = $2",
        data.order_id,
        data.shipment_id,
        data.reason.value,
    )


async def save_status_change(conn: Connection, data: TrackingStatusChanged, at: datetime) -> None:
    """Keep the carrier's first and latest estimates, reported delivery time and signature,
    and when the delivery was reported (the status itself comes from the scans)."""
    await _shipment(conn, data, data.occurred_at or at)
    await conn.execute(
        "UPDATE shipments SET estimated_delivery = COALESCE($3, estimated_delivery),"
        " first_estimated_delivery = COALESCE(first_estimated_delivery, $3),"
        " delivered_at = COALESCE($4, delivered_at), signed_by = COALESCE($5, signed_by),"
        " delivery_reported_at = COALESCE(delivery_reported_at, $6)"
        " WHERE order_id = $1 AND shipment_id = $2",
        data.order_id,
        data.shipment_id,
        data.estimated_delivery,
        data.delivered_at,
        data.signed_by,
        at if data.status is TrackingStatus.DELIVERED else None,
    )


@dataclass(frozen=True, slots=True)
class StoredScan:
    status: TrackingStatus
    occurred_at: datetime | None
    observed_at: datetime
    description: str


async def add_scan(conn: Connection, data: TrackingEvent) -> list[StoredScan] | None:
    """Store a scan; returns the shipment's whole history if it was new, else ``None``."""
    await _shipment(conn, data, data.occurred_at or data.observed_at)
    inserted = await conn.fetchval(
        "INSERT INTO scans (order_id, shipment_id, fingerprint, status, description,"
        " occurred_at, observed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT DO NOTHING RETURNING true",
        data.order_id,
        data.shipment_id,
        data.fingerprint,
        data.status.value,
        data.description,
        data.occurred_at,
        data.observed_at,
    )
    if not inserted:
        return None
    rows = await conn.fetch(
        "SELECT status, occurred_at, observed_at, description FROM scans"
        " WHERE order_id = $1 AND shipment_id = $2",
        data.order_id,
        data.shipment_id,
    )
    return [
        StoredScan(
            TrackingStatus(r["status"]), r["occurred_at"], r["observed_at"], r["description"]
        )
        for r in rows
    ]


async def save_tracking_state(
    conn: Connection,
    order_id: str,
    shipment_id: str,
    state: TrackingState,
    shipped_at: datetime | None,
    description: str | None,
) -> None:
    await conn.execute(
        "UPDATE shipments SET status = $3, status_since = $4, last_scan_at = $5,"
        " shipped_at = $6, status_description = $7 WHERE order_id = $1 AND shipment_id = $2",
        order_id,
        shipment_id,
        state.status.value if state.status else None,
        state.since,
        state.last_scan_at,
        shipped_at,
        description,
    )


async def save_dispute(conn: Connection, data: DeliveryDisputed) -> None:
    await conn.execute(
        "INSERT INTO disputes (order_id, case_id, shipment_id, reported_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (order_id, case_id) DO UPDATE SET"
        " shipment_id = EXCLUDED.shipment_id, reported_at = EXCLUDED.reported_at",
        data.order_id,
        data.case_id,
        data.shipment_id,
        data.reported_at,
    )


async def save_documents(conn: Connection, data: DisputeDocumentsReceived) -> None:
    await conn.execute(
        "INSERT INTO disputes (order_id, case_id, documents) VALUES ($1, $2, $3)"
        " ON CONFLICT (order_id, case_id) DO UPDATE SET documents ="
        " ARRAY(SELECT DISTINCT unnest(disputes.documents || EXCLUDED.documents) ORDER BY 1)",
        data.order_id,
        data.case_id,
        [document.value for document in data.documents],
    )


async def save_resolution(conn: Connection, data: DisputeResolved) -> None:
    await conn.execute(
        "INSERT INTO disputes (order_id, case_id, resolution, resolved_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (order_id, case_id) DO UPDATE SET"
        " resolution = COALESCE(disputes.resolution, EXCLUDED.resolution),"
        " resolved_at = COALESCE(disputes.resolved_at, EXCLUDED.resolved_at)",
        data.order_id,
        data.case_id,
        data.resolution.value,
        data.resolved_at,
    )


# --- the sweeper's query ----------------------------------------------------------------

CLAIM_DUE = (
    "SELECT order_id FROM orders WHERE next_due_at <= $1 AND order_id <> ALL($3::text[])"
    " ORDER BY next_due_at LIMIT $2 FOR UPDATE SKIP LOCKED"
)


async def claim_due(
    conn: Connection, now: datetime, limit: int, skip: Sequence[str] = ()
) -> list[str]:
    """Lock up to ``limit`` orders with a deadline due at ``now``, earliest first; rows
    another transaction holds are skipped (replicas share the work), as are ``skip``."""
    rows = await conn.fetch(CLAIM_DUE, now, limit, list(skip))
    return [row["order_id"] for row in rows]


async def claim_order(conn: Connection, order_id: str, now: datetime) -> bool:
    """Lock one order if it is due at ``now`` and no other transaction holds it."""
    claimed = await conn.fetchval(
        "SELECT true FROM orders WHERE order_id = $1 AND next_due_at <= $2 FOR UPDATE SKIP LOCKED",
        order_id,
        now,
    )
    return bool(claimed)


async def oldest_due(conn: Connection) -> datetime | None:
    """The earliest open deadline of any order."""
    value: datetime | None = await conn.fetchval(
        "SELECT min(next_due_at) FROM orders WHERE next_due_at IS NOT NULL"
    )
    return value


async def count_by_state(conn: Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT state, count(*) AS n FROM orders GROUP BY state")
    return {row["state"]: row["n"] for row in rows}


# --- loading and saving assessments -----------------------------------------------------


async def load(conn: Connection, order_ids: Sequence[str]) -> list[OrderFacts]:
    """The facts of the given orders (four queries, whatever their number)."""
    ids = list(order_ids)
    orders = await conn.fetch("SELECT * FROM orders WHERE order_id = ANY($1::text[])", ids)
    children: dict[str, dict[str, list[Any]]] = {
        row["order_id"]: {"shipments": [], "disputes": [], "breaches": []} for row in orders
    }
    for table in ("shipments", "disputes", "breaches"):
        for row in await conn.fetch(
            f"SELECT * FROM {table} WHERE order_id = ANY($1::text[])",  # noqa: S608 - constant
            ids,
        ):
            children[row["order_id"]][table].append(row)
    return [_facts(row, children[row["order_id"]]) for row in orders]


def _facts(row: Any, children: dict[str, list[Any]]) -> OrderFacts:
    details = None
    if row["seller_id"] is not None:
        details = OrderDetails(
            seller_id=row["seller_id"],
            seller_country=row["seller_country"],
            seller_subdivision=row["seller_subdivision"],
            seller_time_zone=row["seller_time_zone"],
            customer_time_zone=row["customer_time_zone"],
            marketplace=row["marketplace"],
            large=row["large"],
            placed_at=row["placed_at"],
        )
    breaches = (
        Breach(
            kind=SlaKind(b["kind"]),
            severity=Severity(b["severity"]),
            raised_at=b["raised_at"],
            subject=b["subject"],
            resolved_at=b["resolved_at"],
            resolution=b["resolution"],
        )
        for b in children["breaches"]
    )
    return OrderFacts(
        order_id=row["order_id"],
        details=details,
        confirmed_at=row["confirmed_at"],
        cancelled_at=row["cancelled_at"],
        payment_declined_at=row["payment_declined_at"],
        shipments=tuple(
            ShipmentFacts(
                shipment_id=s["shipment_id"],
                carrier=s["carrier"],
                tracking_number=s["tracking_number"],
                first_seen_at=s["first_seen_at"],
                invalid_reason=s["invalid_reason"],
                status=TrackingStatus(s["status"]) if s["status"] else None,
                status_since=s["status_since"],
                status_description=s["status_description"],
                last_scan_at=s["last_scan_at"],
                shipped_at=s["shipped_at"],
                estimated_delivery=s["estimated_delivery"],
                delivered_at=s["delivered_at"],
                signed_by=s["signed_by"],
                delivery_reported=s["delivery_reported_at"] is not None,
                window=None
                if s["window_deadline"] is None
                else DeliveryWindow(
                    s["shipment_id"], s["window_expected_delivery"], s["window_deadline"]
                ),
            )
            for s in sorted(children["shipments"], key=lambda s: s["first_seen_at"])
        ),
        disputes=tuple(
            DisputeFacts(
                case_id=d["case_id"],
                shipment_id=d["shipment_id"],
                reported_at=d["reported_at"],
                documents=frozenset(DisputeDocument(doc) for doc in d["documents"]),
                resolution=DisputeResolution(d["resolution"]) if d["resolution"] else None,
                expected_delivery=d["expected_delivery"],
                documents_deadline=d["documents_deadline"],
                documents_noticed=d["documents_noticed_at"] is not None,
            )
            for d in children["disputes"]
        ),
        breaches={breach.kind: breach for breach in breaches},
    )


_SAVE_ORDERS = """
UPDATE orders AS o SET
    state = u.state, ship_by_deadline = u.ship_by_deadline, ship_promise = u.ship_promise,
    confirmation_due_at = u.confirmation_due_at, ship_by_due_at = u.ship_by_due_at,
    ship_promise_due_at = u.ship_promise_due_at,
    delivery_due_at = u.delivery_due_at, stall_due_at = u.stall_due_at,
    documents_reminder_at = u.documents_reminder_at,
    documents_overdue_at = u.documents_overdue_at, escalation_due_at = u.escalation_due_at,
    updated_at = now()
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[],
            $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[],
            $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
    AS u(order_id, state, ship_by_deadline, confirmation_due_at, ship_by_due_at,
         delivery_due_at, stall_due_at, documents_reminder_at, documents_overdue_at,
         escalation_due_at, ship_promise, ship_promise_due_at)
WHERE o.order_id = u.order_id
"""

_SAVE_BREACHES = """
INSERT INTO breaches (order_id, kind, severity, raised_at, subject, resolved_at, resolution,
                      opened_at)
SELECT *, u.raised_at FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[],
                                  $5::text[], $6::timestamptz[], $7::text[])
    AS u(order_id, kind, severity, raised_at, subject, resolved_at, resolution)
ON CONFLICT (order_id, kind) DO UPDATE SET
    severity = EXCLUDED.severity, raised_at = EXCLUDED.raised_at,
    resolved_at = EXCLUDED.resolved_at, resolution = EXCLUDED.resolution
"""


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


async def save(conn: Connection, assessed: Sequence[tuple[str, Assessment]]) -> None:
    """Write the state, timers, breach records and dispute deadlines of assessed orders."""
    orders = [
        (
            order_id,
            a.state.value,
            a.ship_by_deadline,
            a.timers.confirmation_due_at,
            a.timers.ship_by_due_at,
            a.timers.delivery_due_at,
            a.timers.stall_due_at,
            a.timers.documents_reminder_at,
            a.timers.documents_overdue_at,
            a.timers.escalation_due_at,
            a.ship_promise,
            a.timers.ship_promise_due_at,
        )
        for order_id, a in assessed
    ]
    if orders:
        await conn.execute(_SAVE_ORDERS, *_columns(orders, 12))
    breaches = [
        (
            order_id,
            b.kind.value,
            b.severity.value,
            b.raised_at,
            b.subject,
            b.resolved_at,
            b.resolution,
        )
        for order_id, a in assessed
        for b in a.breaches
    ]
    if breaches:
        await conn.execute(_SAVE_BREACHES, *_columns(breaches, 7))
    deadlines = [
        (order_id, d.case_id, d.expected_delivery, d.deadline)
        for order_id, a in assessed
        for d in a.dispute_deadlines
    ]
    if deadlines:
        await conn.executemany(
            "UPDATE disputes SET expected_delivery = $3, documents_deadline = $4"
            " WHERE order_id = $1 AND case_id = $2",
            deadlines,
        )
    windows = [
        (order_id, w.shipment_id, w.expected_delivery, w.deadline)
        for order_id, a in assessed
        for w in a.delivery_windows
    ]
    if windows:
        await conn.executemany(
            "UPDATE shipments SET window_expected_delivery = $3, window_deadline = $4"
            " WHERE order_id = $1 AND shipment_id = $2",
            windows,
        )
    noticed = [(order_id, case_id) for order_id, a in assessed for case_id in a.documents_noticed]
    if noticed:
        await conn.executemany(
            "UPDATE disputes SET documents_noticed_at = now() WHERE order_id = $1 AND case_id = $2",
            noticed,
        )
