"""The notifier running in-process against the real broker and PostgreSQL, sending into an
aiosmtpd capture, with chat alerts posted to the capture's webhook."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer

from parcelwatch.dev.capture.smtp import CaptureHandler, SmtpCapture
from parcelwatch.dev.capture.store import MailStore
from parcelwatch.dev.capture.view import MessageView, parse
from parcelwatch.dev.capture.web import inbox_app
from parcelwatch.dev.stack.processes import free_port
from services.notifier.entrypoint import Dependencies, build_app
from services.notifier.settings import NotifierSettings
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent
from shared.infra.clock import Clock
from shared.infra.http import http_server
from shared.infra.kafka import ensure_topics
from shared.infra.service import Service
from tests.support import infrastructure
from tests.support.kafka import unique
from tests.support.services import running

T = TypeVar("T")

SAMPLE_TIME = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
"""Where the notifier's clock starts: just after the sample events (services.notifier.samples),
so their deadlines are ahead, on a weekday morning in the sample customers' zones (no quiet
hours), whatever the time the tests run."""


class SampleClock:
    """Real time, running from :data:`SAMPLE_TIME`."""

    def __init__(self, start: datetime = SAMPLE_TIME) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


async def admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def eventually(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], *, timeout: float = 30.0
) -> T:
    """Poll ``probe`` until ``done`` holds for its result; the last result on the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if done(result) or time.monotonic() >= deadline:
            return result
        await asyncio.sleep(0.1)


@dataclass
class Harness:
    service: Service
    settings: NotifierSettings
    store: MailStore
    smtp: SmtpCapture
    producer: AIOKafkaProducer
    _parsed: dict[str, MessageView] = field(default_factory=dict)

    async def publish(self, *events: CloudEvent[Any]) -> None:
        """Publish on each event's contract topic, keyed by order id."""
        for event in events:
            await self.producer.send_and_wait(
                self.settings.topic(event.data.topic), event.to_json(), key=event.key
            )

    def mails(self) -> list[MessageView]:
        """Every captured e-mail, oldest first."""
        for name in self.store.names():
            if name not in self._parsed:
                self._parsed[name] = parse(name, self.store.read(name))
        return sorted(self._parsed.values(), key=lambda view: view.name)

    def mails_to(self, address: str) -> list[MessageView]:
        return [view for view in self.mails() if f"<{address}>" in view.to]

    def chats_about(self, order_id: str) -> list[dict[str, Any]]:
        posts = [self.store.read_chat(name) for name in self.store.chat_names()]
        return [post for post in posts if f"`{order_id}`" in post["blocks"][1]["text"]["text"]]

    async def rows(self, order_id: str) -> dict[str, str]:
        """``{kind: state}`` of the order's notification rows."""
        records = await self.service.pool.fetch(
            "SELECT kind, state FROM notifications WHERE order_id = $1", order_id
        )
        return {r["kind"]: r["state"] for r in records}

    async def settled(self, order_id: str, count: int, timeout: float = 30.0) -> dict[str, str]:
        """Wait until the order has ``count`` rows, all finished; returns their states."""
        return await eventually(
            lambda: self.rows(order_id),
            lambda rows: len(rows) >= count and not {"pending", "sending"} & set(rows.values()),
            timeout=timeout,
        )

    def metric(self, name: str, **labels: str) -> float:
        value = self.service.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


@dataclass
class Rig:
    """Everything but the service: database, topics, SMTP capture, webhook, producer."""

    settings: NotifierSettings
    store: MailStore
    smtp: SmtpCapture
    producer: AIOKafkaProducer


@contextlib.asynccontextmanager
async def rig(
    postgres: infrastructure.Database,
    broker: infrastructure.Broker,
    folder: Path,
    *,
    handler: Callable[[MailStore], object] = CaptureHandler,
    **overrides: Any,
) -> AsyncIterator[Rig]:
    """A fresh database and topics, an SMTP capture and its chat webhook, until exit."""
    database = unique("notifier")
    await admin(postgres.admin_url, f'CREATE DATABASE "{database}"')
    store = MailStore(folder)
    smtp = SmtpCapture(handler(store), port=free_port())
    await smtp.start()
    web_port = free_port()
    web = http_server(inbox_app(store), "127.0.0.1", web_port)
    serving = asyncio.create_task(web.serve())
    settings = NotifierSettings.model_validate(
        {
            "database_url": postgres.url(database),
            "database_pool_max": 12,
            "kafka_bootstrap_servers": broker.bootstrap_servers,
            "kafka_enable_idempotence": broker.is_apache_kafka,
            "kafka_topic_partitions": 3,
            "kafka_topic_prefix": unique("nt") + ".",
            "http_port": free_port(),
            "smtp_port": smtp.port,
            "smtp_timeout": 5.0,
            "chat_webhook_url": f"http://127.0.0.1:{web_port}/chat",
            "retry_initial": 0.2,
            "retry_max": 1.0,
            **overrides,
        }
    )
    await ensure_topics(settings, topics.all_with_dead_letters())
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    await producer.start()
    try:
        yield Rig(settings, store, smtp, producer)
    finally:
        await producer.stop()
        web.should_exit = True
        await serving
        await smtp.stop()
        await admin(postgres.admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def serving(parts: Rig, clock: Clock | None = None) -> AsyncIterator[Harness]:
    """The notifier of ``parts``' settings, running in-process until exit, on ``clock``
    (a :class:`SampleClock` unless given)."""
    service = await build_app(parts.settings, Dependencies(clock=clock or SampleClock()))
    async with running(service):
        yield Harness(service, parts.settings, parts.store, parts.smtp, parts.producer)


@contextlib.asynccontextmanager
async def notifier_stack(
    postgres: infrastructure.Database,
    broker: infrastructure.Broker,
    folder: Path,
    *,
    handler: Callable[[MailStore], object] = CaptureHandler,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    """:func:`rig` with the notifier running."""
    async with (
        rig(postgres, broker, folder, handler=handler, **overrides) as parts,
        serving(parts) as harness,
    ):
        yield harness
