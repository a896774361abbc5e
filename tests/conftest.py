"""Session-wide real infrastructure and per-test isolation (unique databases and topics)."""

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from shared.infra.settings import DatabaseSettings, KafkaSettings
from tests.support import infrastructure
from tests.support.chromium import INSTALL_HINT, ensure_chromium
from tests.support.kafka import unique


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[infrastructure.Broker]:
    with infrastructure.broker(tmp_path_factory.mktemp("broker")) as running:
        yield running


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[infrastructure.Database]:
    with infrastructure.database(tmp_path_factory.mktemp("postgres")) as running:
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


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium's path (Debian's package, installed where missing and allowed)."""
    path = ensure_chromium()
    if path is None:
        pytest.skip(f"Chromium is missing and could not be installed here: {INSTALL_HINT}")
    return path
