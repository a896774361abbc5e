"""Composition root of the notifier service: customer emails, seller and ops alerts."""

from pathlib import Path

from services.notifier.settings import NotifierSettings
from shared.infra.service import Service, build_service

NAME = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"


async def build_app(settings: NotifierSettings) -> Service:
    """Connect, migrate and wire the notifier service."""
    return await build_service(settings, name=NAME, migrations_dir=MIGRATIONS)
