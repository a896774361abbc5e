"""The running shape every service shares: pool, broker, background tasks, HTTP server.

A service's composition root (``services/<name>/entrypoint.py``) builds a
:class:`Service` from its spec (``services/<name>/spec.py``); :func:`run` starts it and
stops it gracefully: consumers finish the message in hand and commit, background tasks
finish their round, the producer flushes, then pools close.
"""

import asyncio
import functools
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.contracts.topics import all_with_dead_letters
from shared.infra import db, migrations
from shared.infra.clock import ClockSettings
from shared.infra.consumer import EventConsumer, Finish, Handler, Prepare, subscribe
from shared.infra.deadletter import DeadLetters, Sealer, sealer_from
from shared.infra.housekeeping import Housekeeper
from shared.infra.http import health_app, http_server
from shared.infra.kafka import KafkaPublisher, create_broker
from shared.infra.metrics import InfraMetrics
from shared.infra.outbox import OutboxRelay
from shared.infra.settings import (
    DatabaseSettings,
    DeadLetterSettings,
    KafkaSettings,
    ObservabilitySettings,
)
from shared.infra.spec import ServiceSpec
from shared.infra.topicguard import TopicGuard

log = logging.getLogger(__name__)

BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class ServiceSettings(
    KafkaSettings, DatabaseSettings, DeadLetterSettings, ObservabilitySettings, ClockSettings
):
    """Settings every service has; each service subclasses it once, adding its own."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    http_host: str = Field("127.0.0.1", description="Address of the health/metrics/API server.")
    http_port: int = Field(description="Port of that server; each service sets its default.")
    retention_days: int = Field(
        14,
        ge=1,
        description="Days the inbox remembers processed event ids and published outbox rows "
        "are kept; must exceed the broker's retention.",
    )
    kafka_recreate_topics: bool = Field(
        False,
        description="Create the missing topics (with the configured partitions) when the "
        "broker lost them. On in the embedded stack; production manages its topics itself.",
    )
    kafka_topic_check_interval: float = Field(
        5.0,
        gt=0,
        description="Seconds between two checks that the broker still has every topic and "
        "its records; after a loss the outbox republishes its retention window, and when a "
        "topic's partitions changed the consumers start over.",
    )


@dataclass
class Service:
    """A built service, ready to :func:`run`."""

    spec: ServiceSpec
    pool: asyncpg.Pool
    broker: KafkaBroker
    http: FastAPI
    http_host: str
    http_port: int
    metrics: InfraMetrics
    relay: OutboxRelay
    topic_prefix: str = ""
    sealer: Sealer | None = None
    tasks: list[BackgroundTask] = field(default_factory=list)
    _consumers: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _stopping: bool = field(default=False, init=False, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    def group_id(self, purpose: str) -> str:
        """The consumer group of the subscription for ``purpose``, with the topic prefix: two
        deployments or test runs sharing a broker never share a group."""
        return self.topic_prefix + self.spec.group_id(purpose)

    async def restart_consumers(self) -> None:
        """Have every consumer finish what it holds and start over as a new member of its
        group, with fresh metadata (after the broker's topics changed their partitions)."""
        async with self._consumers:
            if self._stopping:
                return
            for subscriber in self.broker.subscribers:
                await subscriber.stop()
                await subscriber.start()
            log.warning("consumers restarted: topics changed their partitions")

    async def stop_consumers(self) -> None:
        """Have every consumer finish the message in hand, commit and stop, for good."""
        async with self._consumers:
            self._stopping = True
            for subscriber in self.broker.subscribers:
                await subscriber.stop()

    def subscribe(
        self,
        handlers: Mapping[str, Mapping[str, Handler]],
        *,
        prepare: Prepare | None = None,
        finish: Finish | None = None,
    ) -> None:
        """Consume every topic the spec declares with its ``handlers`` (by topic, then event
        type), which must be exactly the event types declared (else ``HandlersMismatch``);
        ``prepare`` and ``finish`` run in each of their transactions before and after the
        handlers."""
        self.spec.check(handlers)
        for subscription in self.spec.consumes:
            self.consume(
                subscription.topic,
                purpose=subscription.purpose,
                handlers=handlers[subscription.topic],
                prepare=prepare,
                finish=finish,
            )

    def consume(
        self,
        topic: str,
        *,
        purpose: str,
        handlers: Mapping[str, Handler],
        prepare: Prepare | None = None,
        finish: Finish | None = None,
    ) -> None:
        """Subscribe ``handlers`` (by event type) to contract topic ``topic`` in consumer
        group ``<service>.<purpose>``, with dedup, dead letters and retries; ``prepare``
        and ``finish`` run in each transaction before and after the handlers (see
        :class:`EventConsumer`)."""
        group_id = self.group_id(purpose)
        consumer = EventConsumer(
            pool=self.pool,
            handlers=handlers,
            dead_letters=DeadLetters(
                self.broker,
                service=self.name,
                group_id=group_id,
                metrics=self.metrics,
                sealer=self.sealer,
            ),
            metrics=self.metrics,
            prepare=prepare,
            finish=finish,
        )
        subscribe(
            self.broker,
            f"{self.topic_prefix}{topic}",
            group_id=group_id,
            consumer=consumer,
            title=group_id,
        )


async def build_service(settings: ServiceSettings, spec: ServiceSpec) -> Service:
    """Connect, migrate, and assemble the parts every service has."""
    name = spec.name
    sealer = sealer_from(settings.dlq_encryption_keys)
    metrics = InfraMetrics(name)
    pool = await db.create_pool(
        settings, application_name=f"parcelwatch-{name}", schema=spec.schema
    )
    async with db.session(pool) as conn:
        await migrations.migrate(conn, spec.schema, spec.migrations_dir)
    broker = create_broker(settings, client_id=name)
    relay = OutboxRelay(
        pool, KafkaPublisher(broker, settings.kafka_topic_prefix), spec.schema, metrics
    )

    async def database_ready() -> bool:
        return await db.ping(pool)

    async def broker_ready() -> bool:
        return await broker.ping(timeout=2.0)

    app = health_app(
        service=name,
        registry=metrics.registry,
        checks={"database": database_ready, "broker": broker_ready},
    )
    service = Service(
        spec=spec,
        pool=pool,
        broker=broker,
        http=app,
        http_host=settings.http_host,
        http_port=settings.http_port,
        metrics=metrics,
        relay=relay,
        topic_prefix=settings.kafka_topic_prefix,
        sealer=sealer,
        tasks=[relay.run, Housekeeper(pool, retention_days=settings.retention_days).run],
    )
    guard = TopicGuard(
        settings,
        all_with_dead_letters(),
        functools.partial(relay.republish, settings.retention_days),
        service.restart_consumers,
        losses=metrics.broker_data_losses,
        recreate=settings.kafka_recreate_topics,
        interval=settings.kafka_topic_check_interval,
        checks=metrics.topic_checks,
    )
    service.tasks.append(guard.run)
    return service


async def run(service: Service, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set, then shut down in order."""
    server = http_server(service.http, service.http_host, service.http_port)
    serving = asyncio.create_task(server.serve(), name=f"{service.name}-http")
    background_stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []
    try:
        await service.broker.start()
        background = [asyncio.create_task(task(background_stop)) for task in service.tasks]
        log.info("service started", extra={"port": service.http_port})
        await stop.wait()
        log.info("stopping: finishing messages in hand")
        await service.stop_consumers()
    finally:
        background_stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        await service.broker.stop()
        server.should_exit = True
        await serving
        await service.pool.close()
        log.info("service stopped")


def run_until_signalled(build: Callable[[], Awaitable[Service]]) -> None:
    """Build and run a service in a fresh event loop until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        service = await build()
        gc.freeze()  # what start-up made lives as long as the process: collections skip it
        await run(service, stop)

    asyncio.run(main())
