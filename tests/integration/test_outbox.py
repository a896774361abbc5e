"""The outbox relay against a real broker and PostgreSQL, including a real crash."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import pytest

from shared.contracts.envelope import CloudEvent, decode, new_event
from shared.contracts.events import OrderCancelled
from shared.infra import db, inbox, migrations, outbox
from shared.infra.crash import ENV_VAR, EXIT_CODE
from shared.infra.kafka import KafkaPublisher, create_broker
from shared.infra.metrics import InfraMetrics
from shared.infra.outbox import OutboxRelay
from shared.infra.settings import DatabaseSettings, KafkaSettings
from tests.support import events
from tests.support.kafka import create_topics, read_all, unique

SCHEMA = "svc"
ORDERS = [f"o-{n}" for n in range(5)]
PER_ORDER = 12


@pytest.fixture
async def pool(database_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(database_settings, application_name="test", schema=SCHEMA)
    async with pool.acquire() as conn:
        await migrations.migrate(conn, SCHEMA, None)
    yield pool
    await pool.close()


def _events_on(topic: str) -> list[CloudEvent[Any]]:
    class Cancelled(OrderCancelled):
        topic: ClassVar[str]

    Cancelled.topic = topic
    made: list[CloudEvent[Any]] = []
    for n in range(PER_ORDER):
        for order in ORDERS:
            data = Cancelled(order_id=order, cancelled_at=events.PLACED_AT, reason=f"r{n}")
            made.append(new_event(data, "tests", event_id=f"{order}-{n}"))
    return made


async def test_relay_publishes_every_committed_row_once_in_key_order_across_a_crash(
    pool: asyncpg.Pool, database_url: str, kafka_settings: KafkaSettings
) -> None:
    topic = unique("outbox")
    await create_topics(kafka_settings.kafka_bootstrap_servers, topic)
    made = _events_on(topic)
    async with pool.acquire() as conn:
        for event in made:
            async with conn.transaction():
                await outbox.enqueue(conn, SCHEMA, [event])
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await outbox.enqueue(conn, SCHEMA, [events.cancelled("o-rolled-back")])
                raise RuntimeError("roll back")

    crashed = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parents[1] / "support" / "relay_once.py"),
            database_url,
            kafka_settings.kafka_bootstrap_servers,
            SCHEMA,
            "25",
        ],
        env={**os.environ, ENV_VAR: "outbox.after_publish"},
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == EXIT_CODE, crashed.stderr.decode()[-2000:]

    broker = create_broker(kafka_settings, client_id="test")
    await broker.start()
    try:
        relay = OutboxRelay(pool, KafkaPublisher(broker), SCHEMA, InfraMetrics("t"), batch_size=25)
        assert await relay.drain() == len(made)
        assert await relay.drain() == 0
    finally:
        await broker.stop()

    records = await read_all(kafka_settings.kafka_bootstrap_servers, topic, expect=len(made) + 25)
    assert len(records) == len(made) + 25, "only the crashed batch may be published twice"
    by_key: dict[str, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert record.key is not None
        by_key.setdefault(record.key.decode(), []).append(decode(record.value).id)
    for order in ORDERS:
        expected = [f"{order}-{n}" for n in range(PER_ORDER)]
        seen = by_key[order]
        first_seen = list(dict.fromkeys(seen))
        assert first_seen == expected, f"{order} out of order: {seen}"
        # after the crash the relay starts again from the first unmarked row
        assert seen[len(seen) - len(expected) :] == expected
    assert "o-rolled-back" not in by_key

    async with pool.acquire() as conn:
        claimed = [
            await inbox.claim(conn, decode(r.value).id, topic)
            for r in sorted(records, key=lambda r: (r.partition, r.offset))
        ]
    assert claimed.count(True) == len(made)
    assert claimed.count(False) == 25


async def test_enqueue_keeps_an_event_id_once(pool: asyncpg.Pool) -> None:
    event = events.cancelled("o-9")
    async with pool.acquire() as conn:
        await outbox.enqueue(conn, SCHEMA, [event])
        await outbox.enqueue(conn, SCHEMA, [event])
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1


async def test_enqueue_keeps_the_given_order_and_wakes_the_relay(pool: asyncpg.Pool) -> None:
    made = [events.cancelled(f"o-{n}") for n in (5, 1, 3)]
    woken = asyncio.Event()

    def wake(*_: object) -> None:
        woken.set()

    async with pool.acquire() as listener, pool.acquire() as conn:
        await listener.add_listener(outbox.channel(SCHEMA), wake)
        async with conn.transaction():
            await outbox.enqueue(conn, SCHEMA, [made[0], made[1], made[0], made[2]])
        await asyncio.wait_for(woken.wait(), 10)
        await listener.remove_listener(outbox.channel(SCHEMA), wake)
        rows = await conn.fetch("SELECT event_id, key, payload FROM outbox ORDER BY id")
    assert [r["event_id"] for r in rows] == [e.id for e in made]
    assert [(r["key"], r["payload"]) for r in rows] == [(e.key, e.to_json()) for e in made]


async def test_the_lag_gauge_shows_the_oldest_row_still_waiting_after_a_batch(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    """Two rows two minutes old go out in a batch of two; the row left waiting is half a
    minute old: the gauge shows its age, not the published rows' (they were marked in the
    same statement that measured)."""
    topic = unique("outbox-lag")
    await create_topics(kafka_settings.kafka_bootstrap_servers, topic)
    async with pool.acquire() as conn:
        await outbox.enqueue(conn, SCHEMA, _events_on(topic)[:3])
        await conn.execute(
            "UPDATE outbox SET created_at = now() - CASE WHEN id <= (SELECT min(id) + 1"
            " FROM outbox) THEN interval '120 s' ELSE interval '30 s' END"
        )
    metrics = InfraMetrics("t")
    broker = create_broker(kafka_settings, client_id="test")
    await broker.start()
    try:
        relay = OutboxRelay(pool, KafkaPublisher(broker), SCHEMA, metrics, batch_size=2)
        assert await relay.relay_once() == 2
        assert 30 <= _lag(metrics) < 60
        assert await relay.relay_once() == 1
        assert _lag(metrics) == 0
    finally:
        await broker.stop()


def _lag(metrics: InfraMetrics) -> float:
    value = metrics.registry.get_sample_value("parcelwatch_t_outbox_lag_seconds")
    assert value is not None
    return value
