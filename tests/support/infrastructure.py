"""A real Kafka-protocol broker and a real PostgreSQL for the test session.

Resolution order (DESIGN §6), for each of the two: an address from the environment
(``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``); else testcontainers when a Docker
engine answers; else the embedded ones, started once on free ports.
"""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from parcelwatch.dev.stack.broker import EmbeddedBroker
from parcelwatch.dev.stack.postgres import EmbeddedPostgres
from parcelwatch.dev.stack.processes import free_port

KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"  # Apache Kafka 3.6, run in KRaft mode
POSTGRES_IMAGE = "postgres:17"


@dataclass(frozen=True)
class Broker:
    bootstrap_servers: str
    origin: str  # "environment", "testcontainers" or "embedded"

    @property
    def is_apache_kafka(self) -> bool:
        """Whether idempotent producers may be used (the embedded broker refuses them)."""
        return self.origin != "embedded"


@dataclass(frozen=True)
class Database:
    admin_url: str
    origin: str

    def url(self, name: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def broker(workdir: Path) -> Iterator[Broker]:
    if address := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield Broker(address, "environment")
    elif docker_available():
        from testcontainers.community.kafka import KafkaContainer

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka:
            yield Broker(kafka.get_bootstrap_server(), "testcontainers")
    else:
        embedded = EmbeddedBroker(free_port())
        embedded.start(workdir / "broker.log")
        try:
            yield Broker(embedded.bootstrap_servers, "embedded")
        finally:
            embedded.stop()


@contextlib.contextmanager
def database(workdir: Path) -> Iterator[Database]:
    if url := os.environ.get("DATABASE_URL"):
        yield Database(url, "environment")
    elif docker_available():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer(POSTGRES_IMAGE, driver=None) as postgres:
            yield Database(postgres.get_connection_url(), "testcontainers")
    else:
        embedded = EmbeddedPostgres(
            workdir / "postgres", free_port(), durable=False, temporary=True
        )
        embedded.start(workdir / "postgres.log")
        try:
            yield Database(embedded.url(), "embedded")
        finally:
            embedded.stop()
