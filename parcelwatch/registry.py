"""The services ParcelWatch runs, by name: each one's spec (``services/<name>/spec.py``).

Reading the specs imports none of the services: each loads when it is built.
"""

import asyncio

from services.notifier.spec import SPEC as NOTIFIER
from services.poller.spec import SPEC as POLLER
from services.sla.spec import SPEC as SLA
from shared.infra import db, migrations
from shared.infra.spec import ServiceSpec

SERVICES: dict[str, ServiceSpec] = {spec.name: spec for spec in (POLLER, SLA, NOTIFIER)}


async def migrate_all(names: list[str]) -> dict[str, list[str]]:
    """Apply pending migrations of the named services; returns what each applied."""
    applied: dict[str, list[str]] = {}
    for name in names:
        spec = SERVICES[name]
        pool = await db.create_pool(spec.settings(), application_name="parcelwatch-migrate")
        try:
            async with db.session(pool) as conn:
                applied[name] = await migrations.migrate(conn, spec.schema, spec.migrations_dir)
        finally:
            await pool.close()
    return applied


def run_migrations(names: list[str]) -> dict[str, list[str]]:
    return asyncio.run(migrate_all(names))
