"""Real infrastructure for benchmarks: the given addresses, else embedded ones."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
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
