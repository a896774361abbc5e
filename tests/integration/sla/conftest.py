"""One sla service per test module, with its own database, topics and FakeClock."""

from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from parcelwatch.dev.stack.processes import free_port
from services.sla.settings import SlaSettings
from shared.contracts import topics
from shared.infra.kafka import ensure_topics
from tests.integration.sla.harness import Harness
from tests.integration.sla.scenarios import T0
from tests.support import infrastructure
from tests.support.clock import FakeClock
from tests.support.kafka import unique


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_database(postgres: infrastructure.Database) -> AsyncIterator[str]:
    name = unique("sla")
    admin = await asyncpg.connect(postgres.admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield postgres.url(name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(module_database: str, broker: infrastructure.Broker) -> AsyncIterator[Harness]:
    settings = SlaSettings(
        database_url=module_database,
        database_pool_max=8,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_enable_idempotence=broker.is_apache_kafka,
        kafka_topic_partitions=3,
        kafka_topic_prefix=unique("sla") + ".",
        http_port=free_port(),
        sweep_interval=0.02,
        sweep_batch_size=50,
        census_interval=0.1,
    )
    await ensure_topics(settings, topics.all_with_dead_letters())
    db = await asyncpg.connect(module_database)
    try:
        async with Harness(settings, FakeClock(T0), db).started() as running:
            yield running
    finally:
        await db.close()
