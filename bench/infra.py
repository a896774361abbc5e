"""Real infrastructure for benchmarks: the given addresses, else embedded ones."""

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from parcelwatch.dev.stack.broker import EmbeddedBroker
from parcelwatch.dev.stack.postgres import EmbeddedPostgres
from parcelwatch.dev.stack.processes import free_port


@dataclass(frozen=True)
class Infra:
    bootstrap_servers: str
    database_url: str
    embedded_broker: bool


@contextlib.contextmanager
def infrastructure() -> Iterator[Infra]:
    """``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` when set, else embedded ones."""
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp, contextlib.ExitStack() as stack:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if bootstrap is None:
            broker = EmbeddedBroker(free_port())
            broker.start(Path(tmp) / "broker.log")
            stack.callback(broker.stop)
            bootstrap = broker.bootstrap_servers
        database = os.environ.get("DATABASE_URL")
        if database is None:
            postgres = EmbeddedPostgres(Path(tmp) / "pg", free_port(), temporary=True)
            postgres.start(Path(tmp) / "pg.log")
            stack.callback(postgres.stop)
            database = postgres.url()
        yield Infra(bootstrap, database, "KAFKA_BOOTSTRAP_SERVERS" not in os.environ)


@contextlib.asynccontextmanager
async def postgres_server(prefix: str) -> AsyncIterator[str]:
    """An admin URL: ``DATABASE_URL``'s server, else an embedded PostgreSQL (not durable)
    in a temporary folder named with ``prefix``."""
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        server = EmbeddedPostgres(Path(folder) / "data", free_port(), durable=False, temporary=True)
        server.start(Path(folder) / "postgres.log")
        try:
            yield server.url()
        finally:
            server.stop()


def database_url(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on ``admin_url``'s server."""
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"
