"""PostgreSQL access of the sla service (schema ``sla``): facts in, assessments out.

Every function takes a connection inside the caller's transaction. Writers first lock
the orders they write (:func:`lock_orders`, or the sweeper's claims), so the consumers of
both topics and the sweeper never work on the same order at the same time.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.sla.assessment.facts import DisputeFacts, OrderDetails, OrderFacts, ShipmentFacts
from services.sla.assessment.verdict import Assessment, Breach, DeliveryWindow
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
from shared.infra import db
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


@dataclass
class OrderChanges:
    """The order facts of a batch, folded per order as writing them one event after another
    would leave them: the latest details, and the first confirmation, cancellation and
    payment decline (one stored before is kept)."""

    details: dict[str, OrderPlaced | OrderConfirmed] = field(default_factory=dict)
    confirmed_at: dict[str, datetime] = field(default_factory=dict)
    cancelled_at: dict[str, datetime] = field(default_factory=dict)
    declined_at: dict[str, datetime] = field(default_factory=dict)

    def order(self, data: OrderPlaced | OrderConfirmed) -> None:
        """Keep the order's details; ``order.confirmed`` also starts the ship-by clock."""
        self.details[data.order_id] = data
        if isinstance(data, OrderConfirmed):
            self.confirmed_at.setdefault(data.order_id, data.confirmed_at)

    def cancelled(self, order_id: str, at: datetime) -> None:
        self.cancelled_at.setdefault(order_id, at)

    def payment_declined(self, data: OrderPaymentDeclined) -> None:
        self.declined_at.setdefault(data.order_id, data.declined_at)


@dataclass(frozen=True, slots=True)
class DerivedState:
    """A shipment's state derived from its whole scan history (:mod:`services.sla.tracking`)."""

    state: TrackingState
    shipped_at: datetime | None
    description: str | None


_SAVE_DETAILS = """
UPDATE orders AS o SET
    seller_id = u.seller_id, seller_country = u.seller_country,
    seller_subdivision = u.seller_subdivision, seller_time_zone = u.seller_time_zone,
    customer_time_zone = u.customer_time_zone, marketplace = u.marketplace, large = u.large,
    placed_at = u.placed_at, customer_country = u.customer_country
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::bool[], $9::timestamptz[], $10::text[])
    AS u(order_id, seller_id, seller_country, seller_subdivision, seller_time_zone,
         customer_time_zone, marketplace, large, placed_at, customer_country)
WHERE o.order_id = u.order_id
"""

_SAVE_MOMENTS = """
UPDATE orders AS o SET
    confirmed_at = COALESCE(o.confirmed_at, u.confirmed_at),
    cancelled_at = COALESCE(o.cancelled_at, u.cancelled_at),
    payment_declined_at = COALESCE(o.payment_declined_at, u.declined_at)
FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[])
    AS u(order_id, confirmed_at, cancelled_at, declined_at)
WHERE o.order_id = u.order_id
"""


async def save_orders(conn: Connection, changes: OrderChanges) -> None:
    """Write a batch's order facts (to orders locked by :func:`lock_orders`): at most two
    statements, whatever the number of orders and events."""
    details = [
        (
            d.order_id,
            d.seller.id,
            d.seller.country,
            d.seller.subdivision,
            d.seller.time_zone,
            d.customer.time_zone,
            d.marketplace,
            any(item.large for item in d.items),
            d.placed_at,
            d.customer.country,
        )
        for d in changes.details.values()
    ]
    if details:
        await conn.execute(_SAVE_DETAILS, *db.columns(details, 10))
    moments = [
        (
            order_id,
            changes.confirmed_at.get(order_id),
            changes.cancelled_at.get(order_id),
            changes.declined_at.get(order_id),
        )
        for order_id in dict.fromkeys(
            [*changes.confirmed_at, *changes.cancelled_at, *changes.declined_at]
        )
    ]
    if moments:
        await conn.execute(_SAVE_MOMENTS, *db.columns(moments, 4))


# A shipment is created on its first mention (by either topic), with what the event says;
# a new carrier or tracking number forgets an earlier verdict of invalidity. One statement
# per fact.
_UPSERT = """
INSERT INTO shipments (order_id, shipment_id, carrier, tracking_number, first_seen_at{columns})
VALUES ($1, $2, $3, $4, $5{values})
ON CONFLICT (order_id, shipment_id) DO UPDATE SET
    carrier = EXCLUDED.carrier, tracking_number = EXCLUDED.tracking_number,
    invalid_reason = {invalid_reason}
"""
_SAME_NUMBER = (
    "CASE WHEN (shipments.carrier, shipments.tracking_number)"
    " = (EXCLUDED.carrier, EXCLUDED.tracking_number) THEN shipments.invalid_reason END"
)
_SHIPMENT_SEEN = _UPSERT.format(columns="", values="", invalid_reason=_SAME_NUMBER)
_REGISTERED = _UPSERT.format(
    columns=", registered_at",
    values=", $5",
    invalid_reason=_SAME_NUMBER
    + ", registered_at = COALESCE(shipments.registered_at, EXCLUDED.registered_at)",
)
_INVALID = _UPSERT.format(
    columns=", invalid_reason", values=", $6", invalid_reason="EXCLUDED.invalid_reason"
)
_STATUS_CHANGED = _UPSERT.format(
    columns=", estimated_delivery, first_estimated_delivery, delivered_at, signed_by,"
    " delivery_reported_at",
    values=", $6, $6, $7, $8, $9",
    invalid_reason=_SAME_NUMBER
    + ", estimated_delivery = COALESCE(EXCLUDED.estimated_delivery, shipments.estimated_delivery)"
    ", first_estimated_delivery"
    " = COALESCE(shipments.first_estimated_delivery, EXCLUDED.first_estimated_delivery)"
    ", delivered_at = COALESCE(EXCLUDED.delivered_at, shipments.delivered_at)"
    ", signed_by = COALESCE(EXCLUDED.signed_by, shipments.signed_by)"
    ", delivery_reported_at"
    " = COALESCE(shipments.delivery_reported_at, EXCLUDED.delivery_reported_at)",
)


def _shipment(
    data: ShipmentRegistered | TrackingEvent | TrackingStatusChanged | TrackingNumberInvalid,
    seen_at: datetime,
) -> tuple[Any, ...]:
    return (data.order_id, data.shipment_id, data.carrier, data.tracking_number, seen_at)


async def save_registration(conn: Connection, data: ShipmentRegistered) -> None:
    await conn.execute(_REGISTERED, *_shipment(data, data.registered_at))


async def save_invalid_number(conn: Connection, data: TrackingNumberInvalid) -> None:
    await conn.execute(_INVALID, *_shipment(data, data.detected_at), data.reason.value)


async def save_status_change(conn: Connection, data: TrackingStatusChanged, at: datetime) -> None:
    """Keep the carrier's first and latest estimates, reported delivery time and signature,
    and when the delivery was reported (the status itself comes from the scans)."""
    await conn.execute(
        _STATUS_CHANGED,
        *_shipment(data, data.occurred_at or at),
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


_ADD_SCAN = f"""
WITH shipment AS ({_SHIPMENT_SEEN}),
added AS (
    INSERT INTO scans (order_id, shipment_id, fingerprint, status, description, occurred_at,
                       observed_at)
    VALUES ($1, $2, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING
    RETURNING status, occurred_at, observed_at, description
)
SELECT status, occurred_at, observed_at, description FROM added
UNION ALL
SELECT s.status, s.occurred_at, s.observed_at, s.description FROM scans s
WHERE s.order_id = $1 AND s.shipment_id = $2 AND EXISTS (SELECT 1 FROM added)
"""  # noqa: S608 - made of constants
"""The new scan (if new) and the ones stored before it (the statement does not see its own)."""


async def add_scan(conn: Connection, data: TrackingEvent) -> list[StoredScan] | None:
    """Store a scan; returns the shipment's whole history if it was new, else ``None``.
    One statement."""
    rows = await conn.fetch(
        _ADD_SCAN,
        *_shipment(data, data.occurred_at or data.observed_at),
        data.fingerprint,
        data.status.value,
        data.description,
        data.occurred_at,
        data.observed_at,
    )
    if not rows:
        return None
    return [
        StoredScan(
            TrackingStatus(r["status"]), r["occurred_at"], r["observed_at"], r["description"]
        )
        for r in rows
    ]


_SAVE_STATES = """
UPDATE shipments AS s SET
    status = u.status, status_since = u.since, last_scan_at = u.last_scan_at,
    shipped_at = u.shipped_at, status_description = u.description
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[],
            $6::timestamptz[], $7::text[])
    AS u(order_id, shipment_id, status, since, last_scan_at, shipped_at, description)
WHERE s.order_id = u.order_id AND s.shipment_id = u.shipment_id
"""


async def save_tracking_states(
    conn: Connection, states: dict[tuple[str, str], DerivedState]
) -> None:
    """Write shipments' derived states (by ``(order_id, shipment_id)``): one statement."""
    rows = [
        (
            order_id,
            shipment_id,
            d.state.status.value if d.state.status else None,
            d.state.since,
            d.state.last_scan_at,
            d.shipped_at,
            d.description,
        )
        for (order_id, shipment_id), d in states.items()
    ]
    if rows:
        await conn.execute(_SAVE_STATES, *db.columns(rows, 7))


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


_LOAD = """
SELECT o.*,
    ARRAY(SELECT s FROM shipments s WHERE s.order_id = o.order_id) AS shipments_,
    ARRAY(SELECT d FROM disputes d WHERE d.order_id = o.order_id) AS disputes_,
    ARRAY(SELECT b FROM breaches b WHERE b.order_id = o.order_id) AS breaches_
FROM orders o WHERE o.order_id = ANY($1::text[])
"""


async def load(conn: Connection, order_ids: Sequence[str]) -> list[OrderFacts]:
    """The facts of the given orders: one statement, each order's rows with its shipments,
    disputes and breaches as arrays of rows."""
    orders = await conn.fetch(_LOAD, list(order_ids))
    return [
        _facts(
            row,
            {table: row[f"{table}_"] for table in ("shipments", "disputes", "breaches")},
        )
        for row in orders
    ]


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
        await conn.execute(_SAVE_ORDERS, *db.columns(orders, 12))
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
        await conn.execute(_SAVE_BREACHES, *db.columns(breaches, 7))
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
