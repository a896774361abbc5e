"""A service built by the shared runtime: health, readiness, consumption, graceful stop."""

import asyncio
import time
from typing import Any

import httpx
from pydantic import Field

from parcelwatch.dev.stack.processes import free_port
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent
from shared.infra.db import Connection
from shared.infra.kafka import ensure_topics
from shared.infra.service import ServiceSettings, build_service
from tests.support import events
from tests.support.kafka import produce, recreate_topic, unique
from tests.support.services import running


class DemoSettings(ServiceSettings):
    http_port: int = Field(0, validation_alias="DEMO_HTTP_PORT")


async def _remember(conn: Connection, event: CloudEvent[Any]) -> None:
    await conn.execute("INSERT INTO seen VALUES ($1)", event.id)


async def _consumed(service: Any) -> dict[str, float]:
    return {
        s.labels["outcome"]: s.value
        for m in service.metrics.registry.collect()
        if m.name.endswith("_messages_consumed")
        for s in m.samples
        if s.name.endswith("_total")
    }


async def _settings(database_url: str, kafka_settings: Any, **extra: Any) -> DemoSettings:
    """Settings on topics of the test's own (two partitions each), created."""
    settings = DemoSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers,
        kafka_enable_idempotence=kafka_settings.kafka_enable_idempotence,
        kafka_topic_partitions=2,
        kafka_topic_prefix=unique("rt") + ".",
        http_port=free_port(),
        **extra,
    )
    await ensure_topics(settings, topics.all_with_dead_letters())
    return settings


async def _build(settings: DemoSettings) -> Any:
    """A service that remembers every ``order.cancelled`` it consumes."""
    service = await build_service(settings, name="demo", migrations_dir=None)
    async with service.pool.acquire() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS seen (event_id text)")
    service.consume(topics.ORDERS, purpose="orders", handlers={"order.cancelled": _remember})
    return service


async def test_service_serves_health_consumes_and_stops_without_redelivery(
    database_url: str, kafka_settings: Any
) -> None:
    settings = await _settings(database_url, kafka_settings)
    await produce(
        settings.kafka_bootstrap_servers,
        settings.topic(topics.ORDERS),
        events.cancelled("o-1", 1).to_json(),
        key=b"o-1",
    )

    base = f"http://127.0.0.1:{settings.http_port}"
    first = await _build(settings)
    async with running(first), httpx.AsyncClient(base_url=base) as http:
        await _wait_processed(first, 1)
        assert (await http.get("/healthz")).json() == {"status": "ok", "service": "demo"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
        metrics = (await http.get("/metrics")).text
        assert 'parcelwatch_demo_messages_consumed_total{outcome="processed"' in metrics
    assert await _consumed(first) == {"processed": 1.0}

    second = await _build(settings)  # same group: the committed offset means nothing is redelivered
    async with running(second):
        await produce(
            settings.kafka_bootstrap_servers,
            settings.topic(topics.ORDERS),
            events.cancelled("o-1", 2).to_json(),
            key=b"o-1",
        )
        await _wait_processed(second, 1)
        assert await _consumed(second) == {"processed": 1.0}
        assert await second.pool.fetchval("SELECT count(*) FROM seen") == 2


async def test_a_topic_recreated_wider_is_consumed_on_every_partition(
    database_url: str, kafka_settings: Any
) -> None:
    """A broker that lost a topic, recreated with more partitions: the consumers start
    over as new group members and read the new partitions too. (A member that merely
    rejoins may be handed its old assignment: the embedded broker does that.)"""
    settings = await _settings(
        database_url, kafka_settings, kafka_topic_check_interval=0.5, kafka_metadata_max_age=1.0
    )
    orders = settings.topic(topics.ORDERS)
    service = await _build(settings)
    async with running(service):
        await produce(
            settings.kafka_bootstrap_servers, orders, events.cancelled("o-1", 1).to_json()
        )
        await _wait_processed(service, 1)
        await recreate_topic(settings.kafka_bootstrap_servers, orders, partitions=3)
        await produce(
            settings.kafka_bootstrap_servers,
            orders,
            events.cancelled("o-2", 1).to_json(),
            partition=2,
        )
        await _wait_processed(service, 2, timeout=60)
    assert await _consumed(service) == {"processed": 2.0}


async def _wait_processed(service: Any, count: int, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (await _consumed(service)).get("processed", 0) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
