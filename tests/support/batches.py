"""A service's use cases driven as its consumers drive them, on the real database and broker:
a migrated pool on the service's schema, its consumer of one topic, one batch of events."""

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import asyncpg
from prometheus_client import CollectorRegistry

from shared.contracts.envelope import CloudEvent
from shared.infra import db, migrations
from shared.infra.consumer import EventConsumer, Finish, Handler, Outcome, Prepare
from shared.infra.deadletter import DeadLetters
from shared.infra.kafka import Record, create_broker
from shared.infra.metrics import InfraMetrics
from shared.infra.settings import DatabaseSettings, KafkaSettings
from shared.infra.spec import ServiceSpec


@contextlib.asynccontextmanager
async def migrated_pool(
    settings: DatabaseSettings, spec: ServiceSpec
) -> AsyncIterator[asyncpg.Pool]:
    """A pool on ``spec``'s schema, with its migrations applied."""
    pool = await db.create_pool(settings, application_name="test", schema=spec.schema)
    try:
        async with db.session(pool) as conn:
            await migrations.migrate(conn, spec.schema, spec.migrations_dir)
        yield pool
    finally:
        await pool.close()


@dataclass(frozen=True)
class BatchConsumer:
    """A service's consumer of one topic, wired as its entrypoint wires it, with its own
    metrics (to tell a batch applied at once from one applied again event by event)."""

    consumer: EventConsumer
    registry: CollectorRegistry

    async def apply(self, topic: str, *events: CloudEvent[object]) -> None:
        """``events`` as one batch of ``topic``'s records: each must be processed, by the
        batch's own transaction (the consumer's fallback to one event at a time would hide
        a batch that fails)."""
        records = [
            Record(topic, 0, n, e.subject.encode(), e.to_json(), ()) for n, e in enumerate(events)
        ]
        assert await self.consumer.process(records) == [Outcome.PROCESSED] * len(events)
        retried = self.registry.get_sample_value(
            "parcelwatch_test_message_retries_total", {"topic": topic, "error": "batch"}
        )
        assert not retried, "the batch failed and was applied again one event at a time"


def consumer(
    pool: asyncpg.Pool,
    kafka_settings: KafkaSettings,
    handlers: Mapping[str, Handler],
    *,
    prepare: Prepare | None = None,
    finish: Finish | None = None,
) -> BatchConsumer:
    """A consumer of one topic with these handlers, wired as an entrypoint wires it."""
    registry = CollectorRegistry()
    metrics = InfraMetrics("test", registry)
    broker = create_broker(kafka_settings, client_id="test")
    events = EventConsumer(
        pool=pool,
        handlers=handlers,
        prepare=prepare,
        finish=finish,
        dead_letters=DeadLetters(broker, service="test", group_id="test.group", metrics=metrics),
        metrics=metrics,
    )
    return BatchConsumer(events, registry)
