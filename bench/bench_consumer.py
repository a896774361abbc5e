"""Consumer throughput: events/s through ``EventConsumer`` (decode, inbox, handler in one
transaction, commit) vs a bare aiokafka consume of the same records on the same broker."""

import asyncio
import os
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.infra import infrastructure
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import OrderCancelled
from shared.infra import db, migrations
from shared.infra.consumer import EventConsumer, subscribe
from shared.infra.db import Connection
from shared.infra.deadletter import DeadLetters
from shared.infra.kafka import create_broker
from shared.infra.metrics import InfraMetrics
from shared.infra.settings import DatabaseSettings, KafkaSettings
from tests.support.events import PLACED_AT
from tests.support.kafka import create_topics

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))


async def _produce(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        pending = []
        for n in range(EVENTS):
            order = f"o-{n % 500}"
            data = OrderCancelled(order_id=order, cancelled_at=PLACED_AT, reason=str(n))
            pending.append(
                await producer.send(topic, new_event(data, "bench").to_json(), key=order.encode())
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _bare(bootstrap: str, topic: str) -> float:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bare-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen = 0
        first = await consumer.getone()
        started = time.perf_counter()
        seen = 1
        while seen < EVENTS:
            batch = await consumer.getmany(timeout_ms=500)
            seen += sum(len(records) for records in batch.values())
        await consumer.commit()
        return EVENTS / (time.perf_counter() - started) if first else 0.0
    finally:
        await consumer.stop()


async def _consumer(bootstrap: str, database_url: str, idempotence: bool, topic: str) -> float:
    settings = DatabaseSettings(database_url=database_url)
    pool = await db.create_pool(settings, application_name="bench", schema="bench")
    async with pool.acquire() as conn:
        await migrations.migrate(conn, "bench", None)
        await conn.execute("CREATE TABLE IF NOT EXISTS effects (event_id text PRIMARY KEY)")
    done = asyncio.Event()
    count = 0
    started = 0.0

    async def handle(conn: Connection, event: CloudEvent[Any]) -> None:
        nonlocal count, started
        await conn.execute("INSERT INTO effects VALUES ($1)", event.id)
        count += 1
        if count == 1:
            started = time.perf_counter()
        if count == EVENTS:
            done.set()

    metrics = InfraMetrics("bench")
    broker = create_broker(
        KafkaSettings(kafka_bootstrap_servers=bootstrap, kafka_enable_idempotence=idempotence),
        client_id="bench",
    )
    consumer = EventConsumer(
        pool=pool,
        handlers={"order.cancelled": handle},
        dead_letters=DeadLetters(broker, service="bench", group_id="bench", metrics=metrics),
        metrics=metrics,
    )
    subscribe(broker, topic, group_id=f"bench-{uuid.uuid4().hex}", consumer=consumer, title="bench")
    await broker.start()
    try:
        await asyncio.wait_for(done.wait(), 600)
        return (EVENTS - 1) / (time.perf_counter() - started)
    finally:
        await broker.stop()
        await pool.close()


async def _run() -> None:
    with infrastructure() as infra:
        topic = f"bench-{uuid.uuid4().hex[:8]}"
        await create_topics(infra.bootstrap_servers, topic, f"{topic}.dlq", partitions=1)
        await _produce(infra.bootstrap_servers, topic)
        bare = await _bare(infra.bootstrap_servers, topic)
        ours = await _consumer(
            infra.bootstrap_servers, infra.database_url, not infra.embedded_broker, topic
        )
        print(f"events: {EVENTS} on one partition (one consumer)")
        print(f"bare aiokafka consume:          {bare:10.0f} events/s")
        print(f"EventConsumer (inbox + effect): {ours:10.0f} events/s")
        print(f"ratio EventConsumer / bare:     {ours / bare:10.3f}")


def main() -> None:
    asyncio.run(_run())
