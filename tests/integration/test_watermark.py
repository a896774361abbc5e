"""The watermark's reading of consumer-group positions, against the real broker: committed
offsets, end offsets and the ``time`` of the first record each group has not processed."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from shared.infra.settings import KafkaSettings
from shared.infra.watermark import KafkaPositions, Position, Watermark, held_at
from tests.support import events
from tests.support.clock import FakeClock
from tests.support.kafka import create_topics, produce, recreate_topic, unique

T = events.PLACED_AT
MINUTE = timedelta(minutes=1)


def _event(at: datetime) -> bytes:
    return events.cancelled(unique("o"), 0).model_copy(update={"time": at}).to_json()


@pytest.fixture
async def topic(kafka_settings: KafkaSettings) -> AsyncIterator[str]:
    """A two-partition topic: p0 holds events at T, T+1m, T+2m; p1 a poison record, then
    an event at T+5m."""
    name = unique("watermark")
    await create_topics(kafka_settings.kafka_bootstrap_servers, name, partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(name, _event(T + n * MINUTE), partition=0)
        await producer.send_and_wait(name, b"not json", partition=1)
        await producer.send_and_wait(name, _event(T + 5 * MINUTE), partition=1)
    finally:
        await producer.stop()
    yield name


async def _commit(settings: KafkaSettings, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
    finally:
        await consumer.stop()


async def test_each_partition_points_at_its_first_unprocessed_event(
    kafka_settings: KafkaSettings, topic: str
) -> None:
    group = unique("group")
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    read = KafkaPositions(kafka_settings, {group: topic})
    try:
        # Nothing committed: the group starts at the beginning; p1's poison record is
        # looked past.
        assert await read() == [Position(0, 3, T), Position(0, 2, T + 5 * MINUTE)]

        await _commit(kafka_settings, group, {p0: 1, p1: 2})
        positions = await read()
        assert positions == [Position(1, 3, T + MINUTE), Position(2, 2)]
        assert held_at(positions) == T + MINUTE

        await _commit(kafka_settings, group, {p0: 3})
        assert held_at(await read()) is None
    finally:
        await read.close()


async def test_verdicts_are_held_at_the_earliest_fact_not_yet_applied(
    kafka_settings: KafkaSettings, topic: str
) -> None:
    groups = {unique("orders"): topic, unique("tracking"): topic}
    first, second = groups
    await _commit(kafka_settings, first, {TopicPartition(topic, 0): 3})
    await _commit(kafka_settings, second, {TopicPartition(topic, 0): 2})
    clock = FakeClock(T + timedelta(hours=3))
    read = KafkaPositions(kafka_settings, groups)
    try:
        watermark = Watermark(clock, read)
        await watermark.refresh()
        # first: caught up on p0, nothing processed on p1 (from T+5m);
        # second: p0 from T+2m, p1 from T+5m
        assert watermark.now() == T + 2 * MINUTE

        await _commit(kafka_settings, second, {TopicPartition(topic, 0): 3})
        for group in groups:
            await _commit(kafka_settings, group, {TopicPartition(topic, 1): 2})
        await watermark.refresh()
        assert watermark.now() == clock.now()
    finally:
        await read.close()


async def test_a_topic_recreated_wider_is_read_on_every_partition(
    kafka_settings: KafkaSettings, topic: str
) -> None:
    """After a broker lost a topic and it came back wider, the partitions it gained are
    read at once, not when the reader's cached metadata expires (minutes later)."""
    group = unique("group")
    read = KafkaPositions(kafka_settings, {group: topic})
    try:
        assert len(await read()) == 2
        bootstrap = kafka_settings.kafka_bootstrap_servers
        await recreate_topic(bootstrap, topic, partitions=3)
        await produce(bootstrap, topic, _event(T + 7 * MINUTE), partition=2)

        assert await read() == [Position(0, 0), Position(0, 0), Position(0, 1, T + 7 * MINUTE)]
    finally:
        await read.close()
