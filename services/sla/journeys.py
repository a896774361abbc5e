"""Keeps the carrier performance rollup in step with the facts (schema ``sla``).

Called in the transaction that records facts, with their orders locked: the journeys of the
orders' shipments are derived again from their facts, and where one changed, its old
contribution to ``carrier_performance`` is replaced by the new one.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from services.sla.performance import Journey, Key, Outcome, ShipmentHistory, change, journey
from shared.contracts.statuses import TrackingStatus
from shared.infra.db import Connection

_HISTORIES = """
SELECT s.order_id, s.shipment_id, s.carrier, o.seller_country, o.customer_country,
       o.customer_time_zone, s.registered_at, s.first_estimated_delivery, s.delivered_at,
       j AS journey, f.statuses, f.first_at
FROM shipments s JOIN orders o USING (order_id)
LEFT JOIN carrier_journeys j ON j.order_id = s.order_id AND j.shipment_id = s.shipment_id
LEFT JOIN LATERAL (
    SELECT array_agg(g.status) AS statuses, array_agg(g.at) AS first_at
    FROM (SELECT c.status, min(COALESCE(c.occurred_at, c.observed_at)) AS at FROM scans c
          WHERE c.order_id = s.order_id AND c.shipment_id = s.shipment_id GROUP BY c.status) g
) f ON true
WHERE s.order_id = ANY($1::text[])
ORDER BY s.order_id, s.shipment_id
"""
"""Each shipment of the orders with what its journey is derived from (its first scan of
each status) and its stored journey, if any: one statement."""

_SAVE = """
INSERT INTO carrier_journeys (order_id, shipment_id, ended_on, carrier, seller_country,
    customer_country, outcome, exception, attempted, on_time, transit_seconds,
    first_scan_seconds)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (order_id, shipment_id) DO UPDATE SET
    ended_on = EXCLUDED.ended_on, carrier = EXCLUDED.carrier,
    seller_country = EXCLUDED.seller_country, customer_country = EXCLUDED.customer_country,
    outcome = EXCLUDED.outcome, exception = EXCLUDED.exception,
    attempted = EXCLUDED.attempted, on_time = EXCLUDED.on_time,
    transit_seconds = EXCLUDED.transit_seconds, first_scan_seconds = EXCLUDED.first_scan_seconds
"""

_ADD = """
INSERT INTO carrier_performance AS p (day, carrier, seller_country, customer_country, measure,
    bucket, shipments)
SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::text[],
                     $6::smallint[], $7::int[])
ON CONFLICT (day, carrier, seller_country, customer_country, measure, bucket)
DO UPDATE SET shipments = p.shipments + EXCLUDED.shipments
"""


def stored(row: Mapping[str, Any]) -> Journey:
    """A ``carrier_journeys`` row as a journey."""
    return Journey(
        ended_on=row["ended_on"],
        carrier=row["carrier"],
        seller_country=row["seller_country"],
        customer_country=row["customer_country"],
        outcome=Outcome(row["outcome"]),
        exception=row["exception"],
        attempted=row["attempted"],
        on_time=row["on_time"],
        transit_seconds=row["transit_seconds"],
        first_scan_seconds=row["first_scan_seconds"],
    )


async def add(conn: Connection, delta: Mapping[Key, int]) -> None:
    """Add ``delta`` to the rollup, in key order (rows are locked in one order)."""
    keys = sorted(delta)
    if keys:
        columns = [[key[i] for key in keys] for i in range(6)]
        await conn.execute(_ADD, *columns, [delta[key] for key in keys])


async def refresh(conn: Connection, order_ids: Sequence[str]) -> None:
    """Derive the journeys of the orders' shipments again and move the rollup by what
    changed (read in one statement, the rollup moved in one)."""
    delta: dict[Key, int] = {}
    for row in await conn.fetch(_HISTORIES, list(order_ids)):
        order_id, shipment_id = row["order_id"], row["shipment_id"]
        history = ShipmentHistory(
            carrier=row["carrier"],
            seller_country=row["seller_country"],
            customer_country=row["customer_country"],
            customer_time_zone=row["customer_time_zone"],
            registered_at=row["registered_at"],
            first_estimated_delivery=row["first_estimated_delivery"],
            delivered_at=row["delivered_at"],
            first_scans={
                TrackingStatus(status): at
                for status, at in zip(row["statuses"] or (), row["first_at"] or (), strict=True)
            },
        )
        known = row["journey"]
        old, new = (None if known is None else stored(known)), journey(history)
        if old == new:
            continue
        for key, n in change(old, new).items():
            delta[key] = delta.get(key, 0) + n
        if new is None:
            await conn.execute(
                "DELETE FROM carrier_journeys WHERE order_id = $1 AND shipment_id = $2",
                order_id,
                shipment_id,
            )
        else:
            await conn.execute(
                _SAVE,
                order_id,
                shipment_id,
                new.ended_on,
                new.carrier,
                new.seller_country,
                new.customer_country,
                new.outcome.value,
                new.exception,
                new.attempted,
                new.on_time,
                new.transit_seconds,
                new.first_scan_seconds,
            )
    await add(conn, {key: n for key, n in delta.items() if n})
