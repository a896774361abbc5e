"""Reading and writing topics in tests without consumer groups (no rebalance wait)."""

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


def unique(prefix: str) -> str:
    """A name no other test uses: topics, groups, databases."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def create_topics(bootstrap: str, *names: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


async def produce(
    bootstrap: str,
    topic: str,
    *values: bytes,
    key: bytes | None = None,
    partition: int | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key, partition=partition)
    finally:
        await producer.stop()


async def read_all(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 20.0, settle: float = 0.5
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on ``topic`` from the start: waits until ``expect`` arrived (or the
    deadline), then ``settle`` seconds more so that extra records would show."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = None
        deadline = time.monotonic() + timeout
        while not partitions and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
        assert partitions, f"topic {topic} does not exist"
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        records: list[ConsumerRecord[bytes, bytes]] = []
        settle_until: float | None = None
        while True:
            now = time.monotonic()
            if len(records) >= expect and settle_until is None:
                settle_until = now + settle
            if now >= (settle_until or deadline):
                break
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def recreate_topic(bootstrap: str, name: str, *, partitions: int) -> None:
    """Delete topic ``name`` and create it again, empty, with ``partitions`` partitions
    (Apache Kafka deletes asynchronously: the create waits until the topic is gone)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([name])
        deadline = time.monotonic() + 30.0
        while name in {t["topic"] for t in await admin.describe_topics(None)}:
            assert time.monotonic() < deadline, f"topic {name} was not deleted"
            await asyncio.sleep(0.2)
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()
