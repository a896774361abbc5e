"""The topic guard against the real broker: a deleted topic (what a broker that lost its
state looks like, without restarting the session's broker) is noticed, recreated, and
the outbox republishes its rows in their original order."""

import asyncio
import functools
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts import topics
from shared.contracts.envelope import decode
from shared.infra import db, migrations, outbox
from shared.infra.kafka import KafkaPublisher, create_broker, ensure_topics
from shared.infra.metrics import InfraMetrics
from shared.infra.outbox import OutboxRelay
from shared.infra.settings import DatabaseSettings, KafkaSettings
from shared.infra.topicguard import TopicGuard
from tests.support import events
from tests.support.kafka import create_topics, produce, read_all, recreate_topic, unique

SCHEMA = "svc"
ORDERS = [f"o-{n}" for n in range(4)]
PER_ORDER = 5


@pytest.fixture
async def pool(database_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(database_settings, application_name="test", schema=SCHEMA)
    async with pool.acquire() as conn:
        await migrations.migrate(conn, SCHEMA, None)
    yield pool
    await pool.close()


@pytest.fixture
async def settings(kafka_settings: KafkaSettings) -> KafkaSettings:
    """Settings with a topic prefix of this test's own, its orders topic created."""
    mine = kafka_settings.model_copy(update={"kafka_topic_prefix": unique("guard") + "."})
    await ensure_topics(mine, (topics.ORDERS,))
    return mine


async def _delete(settings: KafkaSettings, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics([settings.topic(name)])
    finally:
        await admin.close()


def _guard(settings: KafkaSettings, calls: list[str], *, recreate: bool) -> TopicGuard:
    async def reshape() -> None:
        calls.append("reshape")

    return TopicGuard(
        settings,
        (topics.ORDERS,),
        lambda: calls.append("loss"),
        reshape,
        losses=InfraMetrics("test").broker_data_losses,
        recreate=recreate,
    )


async def _no_consumers() -> None:
    """Nothing to restart: the test has no consumers."""


async def test_deleted_topic_is_recreated_and_the_outbox_republished_in_order(
    pool: asyncpg.Pool, settings: KafkaSettings
) -> None:
    name = settings.topic(topics.ORDERS)
    made = [events.cancelled(order, n) for n in range(PER_ORDER) for order in ORDERS]
    async with pool.acquire() as conn:
        for event in made:
            await outbox.enqueue(conn, SCHEMA, [event])
    broker = create_broker(settings, client_id="test")
    await broker.start()
    stop = asyncio.Event()
    relaying: asyncio.Task[None] | None = None
    try:
        metrics = InfraMetrics("test")
        relay = OutboxRelay(
            pool, KafkaPublisher(broker, settings.kafka_topic_prefix), SCHEMA, metrics
        )
        assert await relay.drain() == len(made)
        guard = TopicGuard(
            settings,
            (topics.ORDERS,),
            functools.partial(relay.republish, 14),
            _no_consumers,
            losses=metrics.broker_data_losses,
            recreate=True,
            checks=metrics.topic_checks,
        )
        assert await guard.check_once() == []

        await _delete(settings, topics.ORDERS)
        assert await guard.check_once() == [f"topic {name} is missing"]
        assert metrics.registry.get_sample_value("parcelwatch_test_topic_checks_total") == 2
        assert (await guard.snapshot()).keys() == {name}
        assert len((await guard.snapshot())[name]) == settings.kafka_topic_partitions
        relaying = asyncio.create_task(relay.run(stop))
        records = await read_all(settings.kafka_bootstrap_servers, name, expect=len(made))
    finally:
        stop.set()
        if relaying is not None:
            await relaying
        await broker.stop()

    assert len(records) == len(made), "each row republished exactly once"
    by_key: dict[str, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert record.key is not None
        by_key.setdefault(record.key.decode(), []).append(decode(record.value).id)
    assert by_key == {o: [f"{o}-{n}" for n in range(PER_ORDER)] for o in ORDERS}
    assert metrics.registry.get_sample_value("parcelwatch_test_broker_data_losses_total") == 1
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_end_offsets_going_back_count_as_a_loss(settings: KafkaSettings) -> None:
    calls: list[str] = []
    guard = _guard(settings, calls, recreate=False)
    name = settings.topic(topics.ORDERS)
    await produce(settings.kafka_bootstrap_servers, name, b"a", b"b", key=b"k")
    assert await guard.check_once() == []
    # Gone and back with fewer records between two checks: a restarted broker whose
    # clients recreated the topic before the guard looked.
    await _delete(settings, topics.ORDERS)
    await create_topics(settings.kafka_bootstrap_servers, name)
    reasons = await guard.check_once()
    assert reasons and all("end offset went back" in r for r in reasons), reasons
    assert calls == ["loss", "reshape"]
    assert await guard.check_once() == []
    assert calls == ["loss", "reshape"]


async def test_without_recreate_the_guard_waits_for_the_topic_then_republishes(
    settings: KafkaSettings,
) -> None:
    calls: list[str] = []
    guard = _guard(settings, calls, recreate=False)
    name = settings.topic(topics.ORDERS)
    assert await guard.check_once() == []
    await _delete(settings, topics.ORDERS)
    assert await guard.check_once() == [f"topic {name} is missing"]
    assert await guard.check_once() == [f"topic {name} is missing"]
    assert calls == [], "nothing to republish to while the topic is missing"
    assert name not in await guard.snapshot()
    await create_topics(settings.kafka_bootstrap_servers, name)
    assert await guard.check_once() == []
    assert calls == ["loss", "reshape"]


async def test_a_topic_auto_created_narrower_after_a_loss_is_recreated_wide(
    settings: KafkaSettings,
) -> None:
    """A client asking for a lost topic by name makes the broker auto-create it with its
    default partitions (Apache Kafka: ``num.partitions``, 1; the embedded broker: 4)."""
    wide = settings.model_copy(update={"kafka_topic_partitions": 6})
    calls: list[str] = []
    guard = _guard(wide, calls, recreate=True)
    name = wide.topic(topics.ORDERS)
    await produce(wide.kafka_bootstrap_servers, name, b"a", b"b", b"c", key=b"k")
    assert await guard.check_once() == []
    await _delete(wide, topics.ORDERS)
    await produce(wide.kafka_bootstrap_servers, name, b"d", key=b"k")  # auto-created
    assert await guard.check_once(), "the loss went unseen"
    assert len((await guard.snapshot())[name]) == 6
    assert calls == ["loss", "reshape"]


async def test_a_topic_another_guard_widened_meanwhile_is_not_deleted_again(
    settings: KafkaSettings,
) -> None:
    """Every service's guard recovers at once. One acting on a look taken before another
    guard widened the topic (and that service's outbox wrote to it) must leave it alone:
    it looks again right before deleting."""
    name = settings.topic(topics.ORDERS)
    await produce(settings.kafka_bootstrap_servers, name, b"a", b"b", key=b"k")
    guard = _guard(settings, [], recreate=True)
    stale = {name: {0: 0}}  # one partition: how the topic looked before it was widened
    await guard._recreate_topics(stale)
    records = await read_all(settings.kafka_bootstrap_servers, name, expect=2, timeout=5)
    assert sorted(r.value for r in records) == [b"a", b"b"]


async def test_a_topic_recreated_with_other_partitions_has_the_consumers_start_over(
    settings: KafkaSettings,
) -> None:
    """No record lost (the topic was empty), but the partitions changed: consumers must
    start over to be assigned the new ones."""
    calls: list[str] = []
    guard = _guard(settings, calls, recreate=False)
    assert await guard.check_once() == []
    assert await guard.check_once() == []
    assert calls == []

    await recreate_topic(
        settings.kafka_bootstrap_servers,
        settings.topic(topics.ORDERS),
        partitions=settings.kafka_topic_partitions + 1,
    )
    assert await guard.check_once() == []
    assert calls == ["reshape"]
    assert await guard.check_once() == []
    assert calls == ["reshape"]
