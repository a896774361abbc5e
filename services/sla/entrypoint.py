"""Composition root of the sla service: watches ship-by, delivery and dispute deadlines."""

import asyncio
from pathlib import Path

from services.sla import analytics_api, api
from services.sla.analytics_gauges import AnalyticsGauges
from services.sla.calendar import load_calendars
from services.sla.handlers import SlaHandlers
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.scorecard_gauges import ScorecardGauges
from services.sla.service import SCHEMA, SlaService
from services.sla.settings import SlaSettings
from services.sla.sweeper import Census, Sweeper
from shared.contracts import topics
from shared.infra.clock import Clock
from shared.infra.service import Service, build_service
from shared.infra.watermark import KafkaPositions, Watermark

NAME = SCHEMA
MIGRATIONS = Path(__file__).parent / "migrations"

PURPOSES = {topics.ORDERS: "orders", topics.TRACKING: "tracking"}
"""Consumer group of each topic: ``sla.<purpose>``."""


async def build_app(settings: SlaSettings, clock: Clock | None = None) -> Service:
    """Connect, migrate and wire the sla service; ``clock`` defaults to the settings'
    (the system clock unless ``CLOCK_SCALE`` accelerates time)."""
    clock = clock or settings.clock()
    service = await build_service(settings, name=NAME, migrations_dir=MIGRATIONS)
    load_calendars()
    metrics = SlaMetrics(service.metrics.registry)
    sla = SlaService(
        rules=settings.rules,
        calendars=Calendars(settings.marketplace_calendars),
        metrics=metrics,
    )
    positions = KafkaPositions(
        settings,
        {service.group_id(purpose): settings.topic(topic) for topic, purpose in PURPOSES.items()},
    )
    watermark = Watermark(
        clock, positions, lag=metrics.watermark_lag, interval=settings.watermark_interval
    )
    handlers = SlaHandlers(sla, watermark)
    for topic, by_type in (
        (topics.ORDERS, handlers.orders()),
        (topics.TRACKING, handlers.tracking()),
    ):
        service.consume(topic, purpose=PURPOSES[topic], handlers=by_type, prepare=handlers.lock)
    sweeper = Sweeper(
        service.pool,
        sla,
        clock,
        metrics,
        watermark=watermark,
        batch_size=settings.sweep_batch_size,
        interval=settings.sweep_interval,
    )
    census = Census(service.pool, metrics, interval=settings.census_interval)
    gauges = ScorecardGauges(service.pool, clock, metrics, interval=settings.scorecard_interval)
    analytics = AnalyticsGauges(service.pool, clock, metrics, interval=settings.analytics_interval)

    async def follow_consumers(stop: asyncio.Event) -> None:
        try:
            await watermark.run(stop)
        finally:
            await positions.close()

    service.tasks += [follow_consumers, sweeper.run, census.run, gauges.run, analytics.run]
    service.http.include_router(api.router(service.pool, clock, settings.api_token))
    service.http.include_router(analytics_api.router(service.pool, clock, settings.api_token))
    return service
