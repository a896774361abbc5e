"""Kafka broker factory, raw records and topic administration (Kafka protocol only)."""

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from shared.infra.outbox import OutgoingRecord
from shared.infra.settings import KafkaSettings

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/cloudevents+json"


@dataclass(frozen=True)
class Record:
    """One Kafka record as received, before any decoding."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = field(default=())


def create_broker(settings: KafkaSettings, *, client_id: str) -> KafkaBroker:
    """A FastStream Kafka broker; idempotence follows the setting, acks from all replicas."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"{settings.kafka_client_id}-{client_id}",
        enable_idempotence=settings.kafka_enable_idempotence,
        acks="all",
        graceful_timeout=30.0,
        metadata_max_age_ms=int(settings.kafka_metadata_max_age * 1000),
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,
    )


async def ensure_topics(settings: KafkaSettings, contract_names: tuple[str, ...]) -> list[str]:
    """Create the missing topics (with the configured prefix); returns those created."""
    names = [settings.topic(name) for name in contract_names]
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.kafka_client_id}-admin",
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            name,
                            num_partitions=settings.kafka_topic_partitions,
                            replication_factor=settings.kafka_replication_factor,
                        )
                        for name in missing
                    ]
                )
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another process")
        return missing
    finally:
        await admin.close()


async def partitions_of(admin: AIOKafkaAdminClient, names: Iterable[str]) -> dict[str, list[int]]:
    """The partitions of each topic in ``names`` that exists, as the broker has them now.

    Asks for the metadata of all topics: asking for a topic by name can make a broker
    auto-create it, and a client's cached metadata may be minutes old."""
    wanted = set(names)
    return {
        t["topic"]: sorted(p["partition"] for p in t["partitions"])
        for t in await admin.describe_topics(None)
        if t["topic"] in wanted and t["error_code"] == 0
    }


class KafkaPublisher:
    """Publishes outbox records through a FastStream broker, in order, awaiting every ack."""

    def __init__(self, broker: KafkaBroker, topic_prefix: str = "") -> None:
        self._broker = broker
        self._prefix = topic_prefix

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        pending = [
            await self._broker.publish(
                record.value,
                f"{self._prefix}{record.topic}",
                key=record.key,
                headers={"content-type": CONTENT_TYPE},
                no_confirm=True,
            )
            for record in records
        ]
        await asyncio.gather(*pending)
