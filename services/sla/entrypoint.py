"""Composition root of the sla service: Watches ship-by, delivery and dispute deadlines."""

from pathlib import Path

from services.sla.settings import SlaSettings
from shared.infra.service import Service, build_service

NAME = "sla"
MIGRATIONS = Path(__file__).parent / "migrations"


async def build_app(settings: SlaSettings) -> Service:
    """Connect, migrate and wire the sla service."""
    return await build_service(settings, name=NAME, migrations_dir=MIGRATIONS)
