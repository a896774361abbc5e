"""The three services built in-process on one database, with orders seeded through their
own handlers (no broker: what one service publishes is read from its outbox and handed to
the next). For the query APIs and the ops page.

Seeded, on the sla scenarios' calendar:
- ``o-late``: confirmed Monday, first scanned after its ship-by deadline (the breach is
  raised, then resolved), delivered, then reported not received (an open dispute);
- ``o-unshipped``: confirmed Monday, never shipped (an open ``ship_by_missed``).
"""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from services.notifier import handlers as notifier_handlers
from services.notifier.entrypoint import Dependencies
from services.notifier.entrypoint import build_app as build_notifier
from services.notifier.metrics import NotifierMetrics
from services.notifier.service import NotifierService
from services.notifier.settings import NotifierSettings
from services.poller import handlers as poller_handlers
from services.poller.carriers.registry import tracking_numbers
from services.poller.entrypoint import PollerDeps
from services.poller.entrypoint import build_app as build_poller
from services.poller.metrics import PollerMetrics
from services.poller.scheduler import PollingPolicy
from services.poller.service import PollerService
from services.poller.settings import PollerSettings
from services.sla import handlers as sla_handlers
from services.sla.entrypoint import build_app as build_sla
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.rules import SlaRules
from services.sla.service import SlaService
from services.sla.settings import SlaSettings
from services.sla.sweeper import Sweeper
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent, decode
from shared.contracts.statuses import TrackingStatus
from shared.infra.service import Service
from tests.integration.sla.scenarios import (
    DELIVERED_AT,
    DETECTION,
    HOUR,
    PARCEL,
    REPORTED,
    T0,
    confirmed,
    disputed,
    placed,
    registered,
    scan,
    status_changed,
)
from tests.support.clock import FakeClock, caught_up

LATE = "o-late"
UNSHIPPED = "o-unshipped"
SELLER = "s-1"
NUMBER = PARCEL["tracking_number"]
SHIPPED = DETECTION + HOUR
ESTIMATE = date(2026, 11, 25)
NOW = REPORTED + HOUR
MESSAGE_ID_DOMAIN = "test.invalid"


@dataclass
class World:
    poller: Service
    sla: Service
    notifier: Service
    clock: FakeClock


Step = tuple[datetime, CloudEvent[Any] | None]
"""At this time, apply this event (None: sweep)."""


def _events_of_order_late() -> list[Step]:
    return [
        (T0, placed(LATE)),
        (T0, confirmed(LATE)),
        (T0, registered(LATE)),
        (SHIPPED, scan(LATE, TrackingStatus.IN_TRANSIT, SHIPPED, "Departed from facility")),
        (SHIPPED, status_changed(LATE, TrackingStatus.IN_TRANSIT, SHIPPED, estimated=ESTIMATE)),
        (DELIVERED_AT, scan(LATE, TrackingStatus.DELIVERED, DELIVERED_AT, "Delivered, front door")),
        (
            DELIVERED_AT,
            status_changed(LATE, TrackingStatus.DELIVERED, DELIVERED_AT, delivered_at=DELIVERED_AT),
        ),
        (REPORTED, disputed(LATE)),
    ]


async def _apply(
    pool: asyncpg.Pool,
    handler: Any,
    event: CloudEvent[Any],
    prepare: Any = None,
    finish: Any = None,
) -> None:
    """As the consumer applies an event: ``prepare`` (if any), the handler, ``finish`` (if
    any)."""
    async with pool.acquire() as conn, conn.transaction():
        if prepare is not None:
            await prepare(conn, [event])
        await handler(conn, event)
        if finish is not None:
            await finish(conn, [event])


@dataclass
class SlaDriver:
    """The sla service's handlers and sweeper, driven by hand on a FakeClock."""

    pool: asyncpg.Pool
    handlers: dict[str, Any]
    lock: Any
    reassess: Any
    sweeper: Sweeper

    async def apply(self, event: CloudEvent[Any]) -> None:
        await _apply(self.pool, self.handlers[event.type], event, self.lock, self.reassess)


def sla_driver(service: Service, clock: FakeClock) -> SlaDriver:
    metrics = SlaMetrics(CollectorRegistry())
    sla = SlaService(rules=SlaRules(), calendars=Calendars(), metrics=metrics)
    handlers = {t: h for by_type in sla_handlers.by_topic(sla).values() for t, h in by_type.items()}
    sweeper = Sweeper(
        service.pool, sla, clock, metrics, watermark=caught_up(clock), batch_size=50, interval=1
    )
    return SlaDriver(
        service.pool,
        handlers,
        sla_handlers.lock,
        sla_handlers.reassessment(sla, clock),
        sweeper,
    )


async def _seed_sla(service: Service, clock: FakeClock) -> None:
    driver = sla_driver(service, clock)
    late = _events_of_order_late()
    steps = [(T0, placed(UNSHIPPED)), (T0, confirmed(UNSHIPPED)), *late[:3], (DETECTION, None)]
    steps += late[3:]
    for when, event in steps:
        clock.set(when)
        if event is None:
            await driver.sweeper.sweep()
        else:
            await driver.apply(event)
    clock.set(NOW)
    await driver.sweeper.sweep()


async def _seed_poller(service: Service, clock: FakeClock) -> None:
    clock.set(T0)
    poller = PollerService(
        service.pool,
        clock=clock,
        policy=PollingPolicy(),
        numbers=tracking_numbers(),
        skip_check_digits=False,
        metrics=PollerMetrics(CollectorRegistry()),
    )
    handle = poller_handlers.by_topic(poller)[topics.ORDERS]["shipment.registered"]
    await _apply(service.pool, handle, registered(LATE), poller.lock, poller.write)
    for status, at, text in (
        (TrackingStatus.IN_TRANSIT, SHIPPED, "Departed from facility"),
        (TrackingStatus.DELIVERED, DELIVERED_AT, "Delivered, front door"),
    ):
        await service.pool.execute(
            "INSERT INTO scans (shipment_id, generation, fingerprint, status, carrier_code,"
            " description, occurred_at, location, delayed, source, observed_at)"
            " VALUES ($1, 1, $2, $3, 'X', $4, $5, $6, false, 'poll', $5)",
            PARCEL["shipment_id"],
            f"fp-{status}",
            status.value,
            text,
            at,
            {"city": "Louisville", "state": "KY", "country": "US"},
        )
    await service.pool.execute(
        "UPDATE shipments SET status = 'delivered', lifecycle = 'done', next_poll_at = NULL,"
        " delivered_at = $2, estimated_delivery = $3, terminal_at = $2 WHERE shipment_id = $1",
        PARCEL["shipment_id"],
        DELIVERED_AT,
        ESTIMATE,
    )


async def _seed_notifier(world: World, settings: NotifierSettings) -> None:
    service = NotifierService(
        world.notifier.pool,
        routing=settings.routing,
        clock=world.clock,
        metrics=NotifierMetrics(CollectorRegistry()),
    )
    handlers = {
        t: h for by_type in notifier_handlers.by_topic(service).values() for t, h in by_type.items()
    }
    inputs = [placed(UNSHIPPED), confirmed(UNSHIPPED), placed(LATE), confirmed(LATE)]
    inputs += [
        decode(bytes(r["payload"]))
        for r in await world.poller.pool.fetch("SELECT payload FROM poller.outbox ORDER BY id")
    ]
    inputs += [status_changed(LATE, TrackingStatus.IN_TRANSIT, SHIPPED, estimated=ESTIMATE)]
    inputs += [
        decode(bytes(r["payload"]))
        for r in await world.sla.pool.fetch("SELECT payload FROM sla.outbox ORDER BY id")
    ]
    for event in inputs:
        if event.type in handlers:
            await _apply(
                world.notifier.pool, handlers[event.type], event, service.lock, service.write
            )
    await world.notifier.pool.execute(
        "UPDATE notifications SET state = 'sent', attempts = 1, finished_at = $1", NOW
    )


@contextlib.asynccontextmanager
async def world(
    database_url: str, token: str | None = None, *, seed: bool = True
) -> AsyncIterator[World]:
    """The three services on ``database_url`` (HTTP apps not served), data seeded unless
    ``seed`` is false."""
    common: dict[str, Any] = {
        "database_url": database_url,
        "database_pool_max": 4,
        "kafka_bootstrap_servers": "127.0.0.1:1",
        "http_port": 1,
        "api_token": SecretStr(token) if token else None,
    }
    clock = FakeClock(T0)
    notifier_settings = NotifierSettings(**common, message_id_domain=MESSAGE_ID_DOMAIN)
    poller = await build_poller(PollerSettings(**common), PollerDeps(clock=clock))
    sla = await build_sla(SlaSettings(**common), clock=clock)
    notifier = await build_notifier(notifier_settings, Dependencies(clock=clock))
    built = World(poller, sla, notifier, clock)
    try:
        if seed:
            await _seed_sla(sla, clock)
            await _seed_poller(poller, clock)
            await _seed_notifier(built, notifier_settings)
        clock.set(NOW)
        yield built
    finally:
        for service in (poller, sla, notifier):
            await service.pool.close()
