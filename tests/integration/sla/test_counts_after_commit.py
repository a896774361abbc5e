"""sla counts its SLA events once their transaction committed: a consumer batch rolled back
and applied again record by record counts each event once (no broker: events stop at the
outbox)."""

from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry

from services.sla import handlers as sla_handlers
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.rules import SlaRules
from services.sla.service import SlaService
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent
from shared.infra.consumer import EventConsumer, Outcome
from shared.infra.db import Connection
from shared.infra.deadletter import DeadLetters
from shared.infra.kafka import Record, create_broker
from shared.infra.metrics import InfraMetrics
from shared.infra.settings import KafkaSettings
from tests.integration.sla.scenarios import DETECTION, cancelled, confirmed, placed
from tests.support.clock import FakeClock


async def test_a_batch_applied_again_record_by_record_counts_each_breach_once(
    sla_pool: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    registry = CollectorRegistry()
    sla = SlaService(rules=SlaRules(), calendars=Calendars(), metrics=SlaMetrics(registry))
    handlers = dict(sla_handlers.by_topic(sla)[topics.ORDERS])
    cancel = handlers["order.cancelled"]
    failures = 1

    async def cancel_failing_once(conn: Connection, event: CloudEvent[Any]) -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionResetError("database connection lost")
        await cancel(conn, event)

    handlers["order.cancelled"] = cancel_failing_once
    # o-1 confirmed at T0 and assessed after its ship-by deadline: one breach, then the
    # batch's last record fails once, rolling the whole batch back.
    batch = [placed("o-1"), confirmed("o-1"), cancelled("o-2", DETECTION)]
    records = [Record(topics.ORDERS, 0, n, b"o", e.to_json(), ()) for n, e in enumerate(batch)]
    infra = InfraMetrics("sla", CollectorRegistry())
    consumer = EventConsumer(
        pool=sla_pool,
        handlers=handlers,
        dead_letters=DeadLetters(
            create_broker(kafka_settings, client_id="test"),
            service="sla",
            group_id="sla.orders",
            metrics=infra,
        ),
        metrics=infra,
        prepare=sla_handlers.lock,
        finish=sla_handlers.reassessment(sla, FakeClock(DETECTION)),
        backoff_initial=0.01,
    )

    assert await consumer.process(records) == [Outcome.PROCESSED] * 3
    emitted = await sla_pool.fetchval(
        "SELECT count(*) FROM outbox"
        " WHERE convert_from(payload, 'UTF8')::jsonb ->> 'type' = 'sla.ship_by_missed'"
    )
    counted = registry.get_sample_value(
        "parcelwatch_sla_breaches_total", {"kind": "ship_by_missed", "severity": "seller"}
    )
    assert (emitted, counted) == (1, 1)
