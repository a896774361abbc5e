"""A consumer batch that brings several orders' parcels refreshes each order's journeys from
its own facts: the same journeys and rollup as when the events come one by one."""

import asyncpg
from prometheus_client import CollectorRegistry

from services.sla import handlers as sla_handlers
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.rules import SlaRules
from services.sla.service import SlaService
from shared.infra import aftercommit
from tests.support.clock import FakeClock
from tests.support.journeys import NOW, parcels, rollup_mismatches

ENDED = {"j-on-time", "j-late", "j-returned", "j-attempted", "j-details-late"}
"""The parcels whose journeys ended (see :mod:`tests.support.journeys`); two still move."""


async def test_one_batch_of_several_orders_keeps_each_orders_journeys(
    sla_pool: asyncpg.Pool,
) -> None:
    sla = SlaService(
        rules=SlaRules(), calendars=Calendars(), metrics=SlaMetrics(CollectorRegistry())
    )
    every = {t: h for by_type in sla_handlers.by_topic(sla).values() for t, h in by_type.items()}
    steps = [step for parcel in parcels() for step in parcel.steps]
    events = [event for _, event in sorted(steps, key=lambda step: step[0])]
    # as the consumer applies a batch (prepare, handlers, finish in one transaction), without
    # its fallback to one event at a time, which would hide a batch that fails
    async with sla_pool.acquire() as conn, aftercommit.collecting(), conn.transaction():
        await sla_handlers.lock(conn, events)
        for event in events:
            await every[event.type](conn, event)
        await sla_handlers.reassessment(sla, FakeClock(NOW))(conn, events)
    async with sla_pool.acquire() as conn:
        rows = await conn.fetch("SELECT order_id, shipment_id FROM carrier_journeys")
        assert {(r["order_id"], r["shipment_id"]) for r in rows} == {
            (order_id, f"{order_id}-1") for order_id in ENDED
        }
        assert await rollup_mismatches(conn) == {}
