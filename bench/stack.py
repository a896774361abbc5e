"""The whole pipeline for benchmarks: one process per service, the carrier emulator and the
SMTP capture, on the broker and PostgreSQL of :func:`bench.infra.infrastructure`.

Like ``parcelwatch dev up`` (the same commands and local stand-ins), with a fresh database
and a unique topic prefix per run, plus helpers to feed orders and read the capture.
"""

import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import psutil  # type: ignore[import-untyped]
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from bench.infra import Infra
from parcelwatch.dev.emulator.scenarios import CARRIERS, Scenario, number_for
from parcelwatch.dev.stack.processes import free_port, spawn, stop, wait_for_port
from parcelwatch.registry import SERVICES
from services.notifier.headers import message_id
from services.notifier.samples import sample_order
from shared.contracts import topics
from shared.contracts.common import Customer
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import OrderConfirmed, ShipmentRegistered
from shared.infra import db, migrations
from shared.infra.clock import ScaledClock
from shared.infra.kafka import ensure_topics
from shared.infra.settings import DatabaseSettings, KafkaSettings

MESSAGE_ID_DOMAIN = "parcelwatch.invalid"
_HELPERS = ("carriers", "mail")


@dataclass
class PipelineStack:
    """A running stack: its environment, processes, clock and mail folder.

    ``processes`` are named by service, replicas after the first ``<service>-2``,
    ``<service>-3``…; ``urls`` holds each service process's HTTP base URL."""

    env: dict[str, str]
    workdir: Path
    clock: ScaledClock
    processes: dict[str, Popen[bytes]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(
            kafka_bootstrap_servers=self.env["KAFKA_BOOTSTRAP_SERVERS"],
            kafka_enable_idempotence=self.env["KAFKA_ENABLE_IDEMPOTENCE"] == "true",
            kafka_topic_prefix=self.env["KAFKA_TOPIC_PREFIX"],
        )

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def mail_folder(self) -> Path:
        return self.workdir / "mail"

    @property
    def emulator_url(self) -> str:
        return self.env["UPS_BASE_URL"]

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.env[f'{name.upper()}_HTTP_PORT']}"

    def real_time(self, emulated: datetime) -> datetime:
        """The real instant at which the shared clock shows ``emulated``."""
        origin = self.clock.origin
        return origin + (emulated - origin) / self.clock.scale

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU seconds used so far by each service (its replicas together)
        and helper of the stack, and by the broker and PostgreSQL (with its backends) when
        they listen on this machine."""
        used: dict[str, float] = {}
        for name, p in self.processes.items():
            service = replica_of(name)
            used[service] = used.get(service, 0.0) + _cpu(psutil.Process(p.pid))
        ports = {
            "broker": int(self.env["KAFKA_BOOTSTRAP_SERVERS"].rpartition(":")[2]),
            "postgres": urlsplit(self.database_url).port or 5432,
        }
        listeners = {
            c.laddr.port: c.pid
            for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.pid is not None
        }
        for name, port in ports.items():
            if port in listeners:
                process = psutil.Process(listeners[port])
                used[name] = _cpu(process) + sum(
                    _cpu(child) for child in process.children(recursive=True)
                )
        return used


def consumed(base: str, service: str) -> int:
    """Records the service process at ``base`` took from Kafka (its own metric)."""
    text = httpx.get(f"{base}/metrics", timeout=5.0).text
    name = f"parcelwatch_{service}_messages_consumed"
    return int(
        sum(
            sample.value
            for family in text_string_to_metric_families(text)
            if family.name == name
            for sample in family.samples
            if sample.name.endswith("_total")
        )
    )


def replica_of(process: str) -> str:
    """The service (or helper) a process of the stack belongs to: ``sla-2`` → ``sla``."""
    return process.partition("-")[0]


def _cpu(process: psutil.Process) -> float:
    with contextlib.suppress(psutil.Error):
        times = process.cpu_times()
        return float(times.user + times.system)
    return 0.0


def _env(infra: Infra, database_url: str, workdir: Path, scale: float) -> dict[str, str]:
    """What ``dev up`` gives its processes, on free ports, without carrier rate limits (the
    emulator has none; the real quotas would measure the limiter, not the pipeline) and
    without customers' quiet hours (a run at night would measure the hold, not the pipeline)."""
    emulator = f"http://127.0.0.1:{free_port()}"
    inbox = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "KAFKA_ENABLE_IDEMPOTENCE": "false" if infra.embedded_broker else "true",
        "KAFKA_TOPIC_PREFIX": f"bench-{uuid.uuid4().hex[:8]}.",
        "CLOCK_SCALE": str(scale),
        "CLOCK_ORIGIN": datetime.now(UTC).isoformat(),
        "BENCH_MAIL_HTTP_PORT": str(inbox),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),
        "SMTP_SECURITY": "none",
        "NOTIFIER_CHAT_WEBHOOK_URL": f"http://127.0.0.1:{inbox}/chat",
        "NOTIFIER_MESSAGE_ID_DOMAIN": MESSAGE_ID_DOMAIN,
        # throughput and latency whatever the hour: no customer e-mail held for quiet hours
        "NOTIFIER_QUIET_HOURS_START": "00:00",
        "NOTIFIER_QUIET_HOURS_END": "00:00",
        "DHL_API_KEY": "emulator",
        "FEDEX_API_KEY": "emulator",
        "FEDEX_SECRET_KEY": "emulator",
    }
    for carrier in ("UPS", "FEDEX", "USPS", "DHL"):
        env[f"{carrier}_BASE_URL"] = emulator
        env[f"{carrier}_RATE_LIMIT"] = ""
    for name in ("UPS_CLIENT_ID", "UPS_CLIENT_SECRET", "USPS_CLIENT_ID", "USPS_CLIENT_SECRET"):
        env[name] = "emulator"
    for name in SERVICES:
        env[f"{name.upper()}_HTTP_PORT"] = str(free_port())
    return env


async def _admin(infra: Infra, statement: str) -> None:
    admin = await asyncpg.connect(infra.database_url)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


async def _prepare(infra: Infra, env: dict[str, str]) -> None:
    """A fresh database with every service's schema, and the prefixed topics."""
    name = env["DATABASE_URL"].rpartition("/")[2]
    await _admin(infra, f'CREATE DATABASE "{name}"')
    for service, entry in SERVICES.items():
        pool = await db.create_pool(
            DatabaseSettings(database_url=env["DATABASE_URL"]),
            application_name="bench-migrate",
            schema=service,
        )
        try:
            async with pool.acquire() as conn:
                await migrations.migrate(conn, service, entry.migrations_dir)
        finally:
            await pool.close()
    kafka = KafkaSettings(
        kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
        kafka_enable_idempotence=env["KAFKA_ENABLE_IDEMPOTENCE"] == "true",
        kafka_topic_prefix=env["KAFKA_TOPIC_PREFIX"],
    )
    await ensure_topics(kafka, topics.all_with_dead_letters())


def _wait_healthy(stack: PipelineStack, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    pending = set(stack.urls)
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"not healthy after {timeout:.0f} s: {sorted(pending)}")
        for name in sorted(pending):
            if stack.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited; see {stack.workdir / (name + '.log')}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{stack.urls[name]}/healthz", timeout=1.0).is_success:
                    pending.discard(name)
        time.sleep(0.2)


@contextlib.contextmanager
def pipeline_stack(
    infra: Infra,
    workdir: Path,
    *,
    scale: float,
    env: Mapping[str, str] | None = None,
    profile: Path | None = None,
    replicas: int = 1,
) -> Iterator[PipelineStack]:
    """Emulator, capture and ``replicas`` processes of each of the three services (in the
    same consumer groups, each on an HTTP port of its own) at clock ``scale``; ``env``
    overrides settings; with ``profile``, each service process runs under pyinstrument and
    writes ``<profile>/<process>.txt`` when it stops."""
    database = f"{infra.database_url.rpartition('/')[0]}/bench_{uuid.uuid4().hex[:12]}"
    full_env = {**_env(infra, database, workdir, scale), **(env or {})}
    asyncio.run(_prepare(infra, full_env))
    origin = datetime.fromisoformat(full_env["CLOCK_ORIGIN"])
    stack = PipelineStack(full_env, workdir, ScaledClock(scale, origin=origin))
    cli = [sys.executable, "-m", "parcelwatch.cli"]
    emulator_port = full_env["UPS_BASE_URL"].rpartition(":")[2]
    try:
        stack.processes["carriers"] = spawn(
            [*cli, "dev", "carriers", "--port", emulator_port],
            log_path=workdir / "carriers.log",
            env=full_env,
        )
        stack.processes["mail"] = spawn(
            [
                *(*cli, "dev", "mail", "--folder", str(stack.mail_folder)),
                *(
                    "--smtp-port",
                    full_env["SMTP_PORT"],
                    "--http-port",
                    full_env["BENCH_MAIL_HTTP_PORT"],
                ),
            ],
            log_path=workdir / "mail.log",
            env=full_env,
        )
        for name, port in (("carriers", emulator_port), ("mail", full_env["SMTP_PORT"])):
            wait_for_port("127.0.0.1", int(port), timeout=30, process=stack.processes[name])
        for service in SERVICES:
            for n in range(1, replicas + 1):
                name = service if n == 1 else f"{service}-{n}"
                port = full_env[f"{service.upper()}_HTTP_PORT"] if n == 1 else str(free_port())
                runner = cli
                if profile is not None:
                    profile.mkdir(parents=True, exist_ok=True)
                    out = str(profile / f"{name}.txt")
                    runner = [sys.executable, "-m", "pyinstrument", "-o", out, *cli[1:]]
                stack.processes[name] = spawn(
                    [*runner, "run", service],
                    log_path=workdir / f"{name}.log",
                    env={**full_env, f"{service.upper()}_HTTP_PORT": port},
                )
                stack.urls[name] = f"http://127.0.0.1:{port}"
        _wait_healthy(stack)
        yield stack
    finally:
        for name in sorted(stack.processes, key=lambda name: name in _HELPERS):  # helpers last
            stop(stack.processes[name], timeout=60.0)
        asyncio.run(_admin(infra, f'DROP DATABASE "{database.rpartition("/")[2]}"'))


@dataclass(frozen=True)
class Order:
    """One benchmark order: its id, its customer's address, its shipment if any."""

    order_id: str
    customer_email: str
    carrier: str | None = None
    tracking_number: str | None = None


def shipped_orders(
    prefix: str, count: int, scenario: Scenario, carriers: Sequence[str] = CARRIERS
) -> list[Order]:
    """``count`` orders shipped with numbers of ``scenario``, ``carriers`` in turn."""
    orders = []
    for n in range(count):
        carrier = carriers[n % len(carriers)]
        order_id = f"{prefix}-{n:06d}"
        number = number_for(carrier, scenario, n)
        orders.append(Order(order_id, f"{order_id}@example.com", carrier, number))
    return orders


def order_events(order: Order, confirmed_at: datetime) -> list[CloudEvent[Any]]:
    """``order.confirmed`` and, when shipped, ``shipment.registered``.

    No ``order.placed``: it carries the same order, and for an order placed long ago the
    SLA service, seeing it first, rightly reports it unconfirmed after 30 minutes."""
    sample = sample_order()
    customer = Customer.model_validate(
        {**sample.customer.model_dump(), "email": order.customer_email}
    )
    confirmed = OrderConfirmed(
        order_id=order.order_id,
        placed_at=confirmed_at - timedelta(minutes=5),
        confirmed_at=confirmed_at,
        customer=customer,
        seller=sample.seller,
        items=sample.items,
        marketplace=sample.marketplace,
    )
    events: list[CloudEvent[Any]] = [new_event(confirmed, "bench")]
    if order.carrier is not None and order.tracking_number is not None:
        registered = ShipmentRegistered(
            order_id=order.order_id,
            shipment_id=f"{order.order_id}-1",
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            registered_at=confirmed_at,
        )
        events.append(new_event(registered, "bench"))
    return events


@contextlib.asynccontextmanager
async def order_service(stack: PipelineStack) -> AsyncIterator[AIOKafkaProducer]:
    """A producer on ``orders.v1`` as the order service would use (acks from all)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.kafka.kafka_bootstrap_servers,
        enable_idempotence=stack.kafka.kafka_enable_idempotence,
        acks="all",
    )
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def publish(stack: PipelineStack, events: Sequence[CloudEvent[Any]]) -> None:
    """Publish ``events`` on ``orders.v1``, keyed by order."""
    async with order_service(stack) as producer:
        topic = stack.kafka.topic(topics.ORDERS)
        sent = [await producer.send(topic, e.to_json(), key=e.key) for e in events]
        await asyncio.gather(*sent)


def captured(stack: PipelineStack) -> dict[str, int]:
    """Message-ID → real receive time (ns) of each captured e-mail, from the capture's
    file names (``<time_ns>-<digest>.eml``, written when the message is accepted)."""
    received = {}
    for path in stack.mail_folder.glob("*.eml"):
        header = _message_id(path.read_bytes())
        received[header] = int(path.name.split("-", 1)[0])
    return received


def _message_id(raw: bytes) -> str:
    for line in raw.split(b"\r\n\r\n", 1)[0].splitlines():
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise ValueError("captured e-mail without a Message-ID")


def count_captured(stack: PipelineStack) -> int:
    return sum(1 for _ in stack.mail_folder.glob("*.eml"))


async def wait_for_emails(stack: PipelineStack, expected: int, within: float) -> float:
    """Wait until ``expected`` e-mails are captured; returns the real time (s) the last
    one was accepted. Fails after ``within`` seconds with the count seen."""
    deadline = time.monotonic() + within
    while (seen := count_captured(stack)) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{seen} of {expected} e-mails after {within:.0f} s")
        await asyncio.sleep(0.2)
    return max(captured(stack).values()) / 1e9


async def notifications(stack: PipelineStack) -> dict[str, tuple[str, str]]:
    """Message-ID → (order id, kind) of every e-mail notification row."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT dedup_key, order_id, kind FROM notifier.notifications"
            " WHERE kind NOT LIKE 'ops\\_%'"
        )
    finally:
        await conn.close()
    return {message_id(r["dedup_key"], MESSAGE_ID_DOMAIN): (r["order_id"], r["kind"]) for r in rows}


class CarrierProbe:
    """Asks the emulator about numbers the way the poller does (one request per number, the
    carrier's own API and credentials); the first request starts a number's lifecycle."""

    def __init__(self, stack: PipelineStack) -> None:
        self._http = httpx.AsyncClient(base_url=stack.emulator_url, timeout=30)
        self._tokens: dict[str, str] = {}

    async def __aenter__(self) -> "CarrierProbe":
        creds = {"client_id": "bench", "client_secret": "bench", "grant_type": "client_credentials"}
        answers = {
            "ups": await self._http.post(
                "/security/v1/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=("bench", "bench"),
            ),
            "fedex": await self._http.post("/oauth/token", data=creds),
            "usps": await self._http.post("/oauth2/v3/token", data=creds),
        }
        for carrier, answer in answers.items():
            self._tokens[carrier] = answer.raise_for_status().json()["access_token"]
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def ask(self, carrier: str, number: str) -> None:
        headers = {"Authorization": f"Bearer {self._tokens.get(carrier, '')}"}
        if carrier == "ups":
            response = await self._http.get(f"/api/track/v1/details/{number}", headers=headers)
        elif carrier == "fedex":
            body = {"trackingInfo": [{"trackingNumberInfo": {"trackingNumber": number}}]}
            response = await self._http.post(
                "/track/v1/trackingnumbers", json=body, headers=headers
            )
        elif carrier == "usps":
            response = await self._http.get(f"/tracking/v3/tracking/{number}", headers=headers)
        else:
            response = await self._http.get(
                "/track/shipments", params={"trackingNumber": number}, headers={"DHL-API-Key": "b"}
            )
        response.raise_for_status()


async def prime(stack: PipelineStack, orders: Sequence[Order]) -> None:
    """Start every order's lifecycle now, 16 requests at a time."""
    limit = asyncio.Semaphore(16)
    async with CarrierProbe(stack) as probe:

        async def ask(carrier: str, number: str) -> None:
            async with limit:
                await probe.ask(carrier, number)

        await asyncio.gather(
            *(ask(o.carrier, o.tracking_number) for o in orders if o.carrier and o.tracking_number)
        )


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (``share`` in 0..1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]
