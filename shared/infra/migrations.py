"""Plain-SQL, forward-only migrations: one schema per service, applied under an advisory lock.

Files are named ``NNNN_description.sql`` and run with ``search_path`` set to the service's
schema, so they use unqualified names. The shared infrastructure tables (outbox, inbox)
come first, then the service's own files. Each file runs in its own transaction and is
recorded with a checksum; an applied file that was edited afterwards is an error.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from shared.infra.db import Connection

log = logging.getLogger(__name__)

INFRA_MIGRATIONS = Path(__file__).parent / "sql"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_NAMESPACE = 0x5057  # "PW": keeps our advisory lock ids apart from others'


class MigrationError(RuntimeError):
    """The migration files or the recorded history are inconsistent."""


@dataclass(frozen=True)
class Migration:
    track: str
    version: int
    path: Path

    @property
    def name(self) -> str:
        return f"{self.track}/{self.path.name}"

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(track: str, directory: Path) -> list[Migration]:
    """The migrations of one folder, in version order; misnamed or duplicate files fail."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path}: version {version} appears twice in {directory}")
        found[version] = Migration(track, version, path)
    return [found[v] for v in sorted(found)]


def _lock_id(schema: str) -> int:
    digest = hashlib.sha256(schema.encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


async def migrate(conn: Connection, schema: str, service_dir: Path | None) -> list[str]:
    """Bring ``schema`` up to date; returns the names of the files applied (none: a no-op)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise MigrationError(f"invalid schema name {schema!r}")
    migrations = discover("infra", INFRA_MIGRATIONS)
    if service_dir is not None:
        migrations += discover("service", service_dir)

    await conn.execute("SELECT pg_advisory_lock($1, $2)", _LOCK_NAMESPACE, _lock_id(schema))
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
            " name text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {
            row["name"]: row["checksum"]
            for row in await conn.fetch(
                f'SELECT name, checksum FROM "{schema}".schema_migrations'  # noqa: S608 - validated name
            )
        }
        known = {m.name for m in migrations}
        if unknown := sorted(set(applied) - known):
            raise MigrationError(f"{schema}: applied migrations missing on disk: {unknown}")
        done = []
        for migration in migrations:
            if migration.name in applied:
                if applied[migration.name] != migration.checksum:
                    raise MigrationError(f"{schema}: {migration.name} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
                await conn.execute(migration.sql)
                await conn.execute(
                    f'INSERT INTO "{schema}".schema_migrations (name, checksum) '  # noqa: S608
                    "VALUES ($1, $2)",
                    migration.name,
                    migration.checksum,
                )
            log.info("applied migration", extra={"schema": schema, "migration": migration.name})
            done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1, $2)", _LOCK_NAMESPACE, _lock_id(schema))
