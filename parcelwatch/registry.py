"""The services ParcelWatch runs, by name, loaded lazily (importing one connects nothing)."""

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from shared.infra import db, migrations
from shared.infra.service import Service, ServiceSettings


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    module: str
    settings_class: str

    def _load(self) -> Any:
        return importlib.import_module(self.module)

    def settings(self) -> ServiceSettings:
        module = importlib.import_module(self.module.replace(".entrypoint", ".settings"))
        return cast(ServiceSettings, getattr(module, self.settings_class)())

    def build(self) -> Callable[[], Awaitable[Service]]:
        module = self._load()
        build_app = module.build_app
        settings = self.settings()
        return lambda: cast(Awaitable[Service], build_app(settings))

    @property
    def migrations_dir(self) -> Path:
        return cast(Path, self._load().MIGRATIONS)


SERVICES: dict[str, ServiceEntry] = {
    entry.name: entry
    for entry in (
        ServiceEntry("poller", "services.poller.entrypoint", "PollerSettings"),
        ServiceEntry("sla", "services.sla.entrypoint", "SlaSettings"),
        ServiceEntry("notifier", "services.notifier.entrypoint", "NotifierSettings"),
    )
}


async def migrate_all(names: list[str]) -> dict[str, list[str]]:
    """Apply pending migrations of the named services; returns what each applied."""
    applied: dict[str, list[str]] = {}
    for name in names:
        entry = SERVICES[name]
        settings = entry.settings()
        pool = await db.create_pool(settings, application_name="parcelwatch-migrate")
        try:
            async with pool.acquire() as conn:
                applied[name] = await migrations.migrate(conn, name, entry.migrations_dir)
        finally:
            await pool.close()
    return applied


def run_migrations(names: list[str]) -> dict[str, list[str]]:
    return asyncio.run(migrate_all(names))
