"""Counts registered with ``after_commit`` follow the consumer's commit: a batch rolled back
and applied again record by record counts each record once."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from shared.contracts.envelope import CloudEvent
from shared.infra import db, migrations
from shared.infra.aftercommit import after_commit
from shared.infra.consumer import EventConsumer, Handler, Outcome
from shared.infra.db import Connection
from shared.infra.deadletter import DeadLetters
from shared.infra.kafka import Record, create_broker
from shared.infra.metrics import InfraMetrics
from shared.infra.settings import DatabaseSettings, KafkaSettings
from tests.support import events


@pytest.fixture
async def pool(database_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(database_settings, application_name="test", schema="aftercommit")
    async with pool.acquire() as conn:
        await migrations.migrate(conn, "aftercommit", None)
    yield pool
    await pool.close()


async def _counted(pool: asyncpg.Pool, kafka: KafkaSettings, count_now: bool) -> dict[str, int]:
    """Apply a batch of three events whose second fails the batch's transaction once;
    return how often the handler counted each event."""
    counted: dict[str, int] = {}
    failures = 1

    def count(event_id: str) -> None:
        counted[event_id] = counted.get(event_id, 0) + 1

    async def handler(conn: Connection, event: CloudEvent[Any]) -> None:
        nonlocal failures
        if count_now:
            count(event.id)
        else:
            after_commit(lambda: count(event.id))
        if event.id.endswith("-2") and failures:
            failures -= 1
            raise ConnectionResetError("database connection lost")

    sent = [events.cancelled("o-1", n) for n in (1, 2, 3)]
    records = [Record("orders", 0, n, b"o-1", e.to_json(), ()) for n, e in enumerate(sent)]
    metrics = InfraMetrics("test")
    broker = create_broker(kafka, client_id="test")
    handlers: dict[str, Handler] = {"order.cancelled": handler}
    consumer = EventConsumer(
        pool=pool,
        handlers=handlers,
        dead_letters=DeadLetters(broker, service="test", group_id="test.group", metrics=metrics),
        metrics=metrics,
        backoff_initial=0.01,
    )
    assert await consumer.process(records) == [Outcome.PROCESSED] * 3
    return counted


async def test_counts_after_commit_count_each_record_once(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    assert await _counted(pool, kafka_settings, count_now=False) == {
        "o-1-1": 1,
        "o-1-2": 1,
        "o-1-3": 1,
    }


async def test_counting_inside_the_transaction_counts_a_retried_record_twice(
    pool: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    """The broken way, to show the first test can fail: the rolled-back batch counted too."""
    assert await _counted(pool, kafka_settings, count_now=True) == {
        "o-1-1": 2,
        "o-1-2": 2,
        "o-1-3": 1,
    }
