"""Consumer discipline against a real broker and PostgreSQL: dedup, dead letters, flow,
batches (one transaction, one offset commit) and their fallback to one record at a time."""

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from shared.contracts.envelope import CloudEvent
from shared.contracts.topics import dead_letter
from shared.infra import db, migrations
from shared.infra.consumer import (
    EventConsumer,
    Handler,
    Outcome,
    PoisonMessage,
    Prepare,
    subscribe,
)
from shared.infra.db import Connection
from shared.infra.deadletter import DeadLetters
from shared.infra.kafka import Record, create_broker
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


async def _record_effect(conn: Connection, event: CloudEvent[Any]) -> None:
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


def _consumer(
    pool: asyncpg.Pool,
    broker: KafkaBroker,
    handler: Handler,
    metrics: InfraMetrics,
    prepare: Prepare | None = None,
) -> EventConsumer:
    return EventConsumer(
        pool=pool,
        handlers={"order.cancelled": handler},
        dead_letters=DeadLetters(broker, service="test", group_id="test.group", metrics=metrics),
        metrics=metrics,
        prepare=prepare,
        backoff_initial=0.01,
    )


def _counts(metrics: InfraMetrics, name: str, label: str) -> dict[str, float]:
    return {
        s.labels[label]: s.value
        for m in metrics.registry.collect()
        if m.name == name
        for s in m.samples
        if s.name.endswith("_total")
    }


async def _records(bootstrap: str, topic: str, expect: int) -> list[Record]:
    return [
        Record(r.topic, r.partition, r.offset, r.key, r.value or b"", tuple(r.headers))
        for r in await read_all(bootstrap, topic, expect=expect)
    ]


async def test_a_batch_redelivered_after_its_effects_committed_changes_nothing(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    """The window of the crash point ``consumer.after_commit``: effects committed, offsets
    not. The whole batch comes again and the inbox turns every record into a duplicate."""
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = unique("orders")
    await create_topics(bootstrap, topic, dead_letter(topic), partitions=1)
    sent = [events.cancelled("o-1", n) for n in range(1, 6)]
    await produce(bootstrap, topic, *(e.to_json() for e in sent), sent[0].to_json(), key=b"o-1")
    records = await _records(bootstrap, topic, expect=6)

    metrics = InfraMetrics("test")
    broker = create_broker(kafka_settings, client_id="test")
    consumer = _consumer(pool, broker, _record_effect, metrics)
    # Applied, as a subscriber would, but no offset is committed: a crash at that moment.
    outcomes = await consumer.process(records)
    assert outcomes == [Outcome.PROCESSED] * 5 + [Outcome.DUPLICATE]

    subscribe(broker, topic, group_id=unique("test.group"), consumer=consumer, title="test")
    await broker.start()
    try:
        deadline = time.monotonic() + 30
        while (
            _counts(metrics, "parcelwatch_test_messages_consumed", "outcome").get("duplicate", 0)
            < 7
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.1)
    finally:
        await broker.stop()
    assert _counts(metrics, "parcelwatch_test_messages_consumed", "outcome") == {
        "processed": 5,
        "duplicate": 7,
    }
    assert await _wait_for(pool, 5, timeout=0) == [e.id for e in sent]


async def test_a_failing_batch_is_rolled_back_and_applied_one_record_at_a_time_in_order(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = unique("orders")
    await create_topics(bootstrap, topic, dead_letter(topic), partitions=1)
    sent = [events.cancelled("o-1", n) for n in range(1, 6)]
    await produce(bootstrap, topic, *(e.to_json() for e in sent), key=b"o-1")
    records = await _records(bootstrap, topic, expect=5)
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE effects ADD COLUMN seq serial")
    outages = 2  # the batch's transaction, then the record's first attempt alone

    async def flaky(conn: Connection, event: CloudEvent[Any]) -> None:
        nonlocal outages
        await _record_effect(conn, event)
        if event.id == sent[2].id and outages:
            outages -= 1
            raise ConnectionResetError("database connection lost")

    metrics = InfraMetrics("test")
    consumer = _consumer(pool, create_broker(kafka_settings, client_id="test"), flaky, metrics)
    assert await consumer.process(records) == [Outcome.PROCESSED] * 5
    rows = await pool.fetch("SELECT event_id FROM effects ORDER BY seq")
    assert [r["event_id"] for r in rows] == [e.id for e in sent]
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE topic = $1", topic) == 5
    assert _counts(metrics, "parcelwatch_test_message_retries", "error") == {
        "batch": 1,
        "transient": 1,
    }


async def test_prepare_gets_the_new_events_before_their_handlers_in_their_transaction(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = unique("orders")
    await create_topics(bootstrap, topic, dead_letter(topic), partitions=1)
    e1, e2, e3, e4 = (events.cancelled("o-1", n) for n in range(1, 5))
    await produce(bootstrap, topic, *(e.to_json() for e in (e1, e1, e2, e3, e2, e4)), key=b"o-1")
    records = await _records(bootstrap, topic, expect=6)
    calls: list[list[str]] = []
    outages = 1  # the second batch's transaction

    async def prepare(conn: Connection, batch: Sequence[CloudEvent[Any]]) -> None:
        calls.append([e.id for e in batch])
        await conn.executemany(
            "INSERT INTO effects VALUES ($1, 'prepared')", [(e.id,) for e in batch]
        )

    async def handler(conn: Connection, event: CloudEvent[Any]) -> None:
        nonlocal outages
        prepared = await conn.fetchval(
            "SELECT count(*) FROM effects WHERE event_id = $1 AND reason = 'prepared'", event.id
        )
        assert prepared == 1, f"{event.id} prepared {prepared} times in this transaction"
        await _record_effect(conn, event)
        if event.id == e4.id and outages:
            outages -= 1
            raise ConnectionResetError("database connection lost")

    broker = create_broker(kafka_settings, client_id="test")
    consumer = _consumer(pool, broker, handler, InfraMetrics("test"), prepare)
    assert await consumer.process(records[:2]) == [Outcome.PROCESSED, Outcome.DUPLICATE]
    second = [Outcome.PROCESSED, Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.PROCESSED]
    assert await consumer.process(records[2:]) == second

    # Duplicates are left out; the failed batch's call rolled back; then one event a call.
    assert calls == [[e1.id], [e2.id, e3.id, e4.id], [e2.id], [e3.id], [e4.id]]
    rows = await pool.fetch("SELECT event_id, reason FROM effects ORDER BY event_id, reason")
    assert [(r["event_id"], r["reason"]) for r in rows] == [
        (e.id, reason) for e in (e1, e2, e3, e4) for reason in ("prepared", e.data.reason)
    ]


async def test_a_header_that_is_not_utf8_neither_blocks_nor_loses_the_partition(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    """Kafka headers are bytes; one that is not UTF-8 reaches the handler like any other
    record (the envelope decides), and the records around it flow."""
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = unique("orders")
    await create_topics(bootstrap, topic, dead_letter(topic), partitions=1)
    sent = [events.cancelled("o-1", n) for n in range(1, 4)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n, event in enumerate(sent):
            headers = [("trace", b"\xff\xfe not utf-8")] if n == 1 else []
            await producer.send_and_wait(topic, event.to_json(), key=b"o-1", headers=headers)
    finally:
        await producer.stop()

    metrics = InfraMetrics("test")
    broker = create_broker(kafka_settings, client_id="test")
    subscribe(
        broker,
        topic,
        group_id=unique("test.group"),
        consumer=_consumer(pool, broker, _record_effect, metrics),
        title="test",
    )
    await broker.start()
    try:
        assert await _wait_for(pool, 3) == [e.id for e in sent]
    finally:
        await broker.stop()
