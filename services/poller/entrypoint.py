"""Composition root of the poller service: polls carriers, publishes tracking events."""

from pathlib import Path

from services.poller.settings import PollerSettings
from shared.infra.service import Service, build_service

NAME = "poller"
MIGRATIONS = Path(__file__).parent / "migrations"


async def build_app(settings: PollerSettings) -> Service:
    """Connect, migrate and wire the poller service."""
    return await build_service(settings, name=NAME, migrations_dir=MIGRATIONS)
