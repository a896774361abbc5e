"""Consumer discipline against a real broker and PostgreSQL: dedup, dead letters, flow."""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from shared.contracts.envelope import CloudEvent
from shared.contracts.topics import dead_letter
from shared.infra import db, migrations
from shared.infra.consumer import EventConsumer, PoisonMessage, subscribe
from shared.infra.deadletter import DeadLetters
from shared.infra.kafka import create_broker
from shared.infra.metrics import InfraMetrics
from shared.infra.settings import DatabaseSettings, KafkaSettings
from tests.support import events
from tests.support.kafka import create_topics, produce, read_all, unique

SCHEMA = "svc"


@pytest.fixture
async def pool(database_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(database_settings, application_name="test", schema=SCHEMA)
    async with pool.acquire() as conn:
        await migrations.migrate(conn, SCHEMA, None)
        await conn.execute("CREATE TABLE effects (event_id text, reason text)")
    yield pool
    await pool.close()


async def _record_effect(conn: asyncpg.Connection, event: CloudEvent[Any]) -> None:
    if event.data.reason == "poison":
        raise PoisonMessage("this order cannot be cancelled")
    await conn.execute("INSERT INTO effects VALUES ($1, $2)", event.id, event.data.reason)


async def _wait_for(pool: asyncpg.Pool, count: int, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        rows = await pool.fetch("SELECT event_id FROM effects ORDER BY event_id")
        if len(rows) >= count or time.monotonic() > deadline:
            return [r["event_id"] for r in rows]
        await asyncio.sleep(0.1)


async def test_broken_messages_are_dead_lettered_and_the_partition_keeps_flowing(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = unique("orders")
    await create_topics(bootstrap, topic, dead_letter(topic), partitions=1)
    good = events.cancelled("o-1", 1)
    poison = events.cancelled("o-1", 2).model_copy(
        update={"data": good.data.model_copy(update={"reason": "poison"}), "id": "o-1-poison"}
    )
    last = events.cancelled("o-1", 3)
    await produce(
        bootstrap,
        topic,
        b"not json at all",
        good.to_json(),
        good.to_json(),  # a redelivery
        good.to_json().replace(b'"order_id":"o-1"', b'"order_id":"bad id"'),
        poison.to_json(),
        last.to_json(),
        key=b"o-1",
    )

    metrics = InfraMetrics("test")
    broker = create_broker(kafka_settings, client_id="test")
    consumer = EventConsumer(
        pool=pool,
        handlers={"order.cancelled": _record_effect},
        dead_letters=DeadLetters(broker, service="test", group_id="test.group", metrics=metrics),
        metrics=metrics,
    )
    subscribe(broker, topic, group_id=unique("test.group"), consumer=consumer, title="test")
    await broker.start()
    try:
        assert await _wait_for(pool, 2) == ["o-1-1", "o-1-3"]
    finally:
        await broker.stop()

    dead = await read_all(bootstrap, dead_letter(topic), expect=3)
    assert dead[0].value == b"not json at all"
    headers = [dict(r.headers) for r in dead]
    assert [h["dlq-origin-offset"] for h in headers] == [b"0", b"3", b"4"]
    assert all(h["dlq-origin-topic"] == topic.encode() for h in headers)
    assert b"Invalid JSON" in headers[0]["dlq-error"]
    assert b"data.order_id" in headers[1]["dlq-error"]
    assert b"cannot be cancelled" in headers[2]["dlq-error"]
    assert all(r.key == b"o-1" for r in dead)
    outcomes = {
        s.labels["outcome"]: s.value
        for m in metrics.registry.collect()
        if m.name == "parcelwatch_test_messages_consumed"
        for s in m.samples
        if s.name.endswith("_total")
    }
    assert outcomes == {"processed": 2, "duplicate": 1, "dead_lettered": 3}
