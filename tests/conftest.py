"""Session-wide real infrastructure and per-test isolation (unique databases and topics)."""

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.infra.settings import DatabaseSettings, KafkaSettings
from tests.support import infrastructure
from tests.support.kafka import unique


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[infrastructure.Broker]:
    with infrastructure.broker(tmp_path_factory.mktemp("broker")) as running:
        yield running


@pytest.fixture(scope="session")
def postgres() -> Iterator[infrastructure.Database]:
    # Not under pytest's tmp folder: a second pytest session makes that folder private
    # again, which would lock the unprivileged PostgreSQL user out of its data.
    with (
        tempfile.TemporaryDirectory(prefix="parcelwatch-pg-") as folder,
        infrastructure.database(Path(folder)) as running,
    ):
        yield running


@pytest.fixture
def kafka_settings(broker: infrastructure.Broker) -> KafkaSettings:
    return KafkaSettings(
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_enable_idempotence=broker.is_apache_kafka,
        kafka_topic_partitions=3,
    )


@pytest.fixture
async def database_url(postgres: infrastructure.Database) -> AsyncIterator[str]:
    """A fresh, empty database for this test, dropped afterwards."""
    name = unique("test")
    await _admin(postgres.admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield postgres.url(name)
    finally:
        await _admin(postgres.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def database_settings(database_url: str) -> DatabaseSettings:
    return DatabaseSettings(database_url=database_url, database_pool_max=5)
