"""Composition root of the sla service: watches ship-by, delivery and dispute deadlines."""

from pathlib import Path

from services.sla.handlers import SlaHandlers
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.service import SCHEMA, SlaService
from services.sla.settings import SlaSettings
from services.sla.sweeper import Census, Sweeper
from shared.contracts import topics
from shared.infra.clock import Clock
from shared.infra.service import Service, build_service

NAME = SCHEMA
MIGRATIONS = Path(__file__).parent / "migrations"


async def build_app(settings: SlaSettings, clock: Clock | None = None) -> Service:
    """Connect, migrate and wire the sla service; ``clock`` defaults to the settings'
    (the system clock unless ``CLOCK_SCALE`` accelerates time)."""
    clock = clock or settings.clock()
    service = await build_service(settings, name=NAME, migrations_dir=MIGRATIONS)
    metrics = SlaMetrics(service.metrics.registry)
    sla = SlaService(
        rules=settings.rules,
        calendars=Calendars(settings.marketplace_calendars),
        metrics=metrics,
    )
    handlers = SlaHandlers(sla, clock)
    service.consume(topics.ORDERS, purpose="orders", handlers=handlers.orders())
    service.consume(topics.TRACKING, purpose="tracking", handlers=handlers.tracking())
    sweeper = Sweeper(
        service.pool,
        sla,
        clock,
        metrics,
        batch_size=settings.sweep_batch_size,
        interval=settings.sweep_interval,
    )
    census = Census(service.pool, metrics, interval=settings.census_interval)
    service.tasks += [sweeper.run, census.run]
    return service
