"""``parcelwatch dev up``: the whole system on one machine, no Docker.

Starts PostgreSQL and the Kafka-protocol broker from their wheels (unless
``DATABASE_URL`` / ``KAFKA_BOOTSTRAP_SERVERS`` point at real ones), creates the topics,
migrates, starts every service, prints what runs where, and on Ctrl-C or SIGTERM stops
everything in order: services first (they finish the message in hand), then the broker,
then PostgreSQL.
"""

import asyncio
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from subprocess import Popen

import asyncpg
import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from parcelwatch.dev.stack.broker import EmbeddedBroker
from parcelwatch.dev.stack.postgres import EmbeddedPostgres
from parcelwatch.dev.stack.processes import port_open, spawn, stop, wait_for_port
from parcelwatch.registry import SERVICES, migrate_all
from shared.contracts.topics import all_with_dead_letters
from shared.infra.deadletter import Sealer
from shared.infra.kafka import ensure_topics
from shared.infra.settings import KafkaSettings

DATABASE = "parcelwatch"


class StackSettings(BaseSettings):
    """What ``parcelwatch dev up`` reads; unset addresses mean "start the embedded one"."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: SecretStr | None = Field(None, description="Use this PostgreSQL.")
    kafka_bootstrap_servers: str | None = Field(None, description="Use this Kafka.")
    var_dir: Path = Field(
        Path("var"), validation_alias="PARCELWATCH_VAR_DIR", description="Runtime data."
    )
    dev_postgres_port: int = Field(5432, description="Port of the embedded PostgreSQL.")
    dev_broker_port: int = Field(9092, description="Port of the embedded broker.")
    dev_emulator_port: int = Field(8090, description="Port of the carrier emulator.")
    dev_mail_smtp_port: int = Field(1025, description="SMTP port of the mail capture.")
    dev_mail_http_port: int = Field(8025, description="Inbox page of the mail capture.")
    dev_ops_port: int = Field(8080, description="The ops page.")
    dev_clock_scale: float = Field(
        3600.0, gt=0, description="Accelerated time of the whole stack (3600: an hour a second)."
    )
    dev_simulate: bool = Field(True, description="Run the order simulator.")


class StackError(RuntimeError):
    """The stack cannot start; the message says why and what to do."""


@dataclass
class Stack:
    settings: StackSettings
    postgres: EmbeddedPostgres | None = None
    broker: EmbeddedBroker | None = None
    services: dict[str, Popen[bytes]] = field(default_factory=dict)
    helpers: dict[str, Popen[bytes]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def logs(self) -> Path:
        return self.settings.var_dir / "log"

    def start_infrastructure(self) -> None:
        var = self.settings.var_dir.resolve()
        if self.settings.database_url is not None:
            database_url = self.settings.database_url.get_secret_value()
        else:
            _require_free(self.settings.dev_postgres_port, "PostgreSQL", "DATABASE_URL")
            self.postgres = EmbeddedPostgres(var / "postgres", self.settings.dev_postgres_port)
            self.postgres.start(self.logs / "postgres.log")
            asyncio.run(_create_database(self.postgres.url(), DATABASE))
            database_url = self.postgres.url(DATABASE)
        if self.settings.kafka_bootstrap_servers is not None:
            bootstrap = self.settings.kafka_bootstrap_servers
            idempotence = os.environ.get("KAFKA_ENABLE_IDEMPOTENCE", "true")
        else:
            _require_free(self.settings.dev_broker_port, "the broker", "KAFKA_BOOTSTRAP_SERVERS")
            self.broker = EmbeddedBroker(self.settings.dev_broker_port)
            self.broker.start(self.logs / "broker.log")
            bootstrap = self.broker.bootstrap_servers
            idempotence = "false"  # the embedded broker rejects InitProducerId
        self.env = {
            **self._local_defaults(),
            **os.environ,
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KAFKA_ENABLE_IDEMPOTENCE": idempotence,
        }
        kafka = KafkaSettings(
            kafka_bootstrap_servers=bootstrap, kafka_enable_idempotence=idempotence == "true"
        )
        asyncio.run(ensure_topics(kafka, all_with_dead_letters()))
        os.environ.update(self.env)
        asyncio.run(migrate_all(list(SERVICES)))

    def _local_defaults(self) -> dict[str, str]:
        """Point every external dependency at its local stand-in; a variable already set
        in the environment wins."""
        emulator = f"http://127.0.0.1:{self.settings.dev_emulator_port}"
        inbox = f"http://127.0.0.1:{self.settings.dev_mail_http_port}"
        defaults = {
            "CLOCK_SCALE": str(self.settings.dev_clock_scale),
            "CLOCK_ORIGIN": datetime.now(UTC).isoformat(),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.settings.dev_mail_smtp_port),
            "SMTP_SECURITY": "none",
            "NOTIFIER_CHAT_WEBHOOK_URL": f"{inbox}/chat",
            "DHL_API_KEY": "emulator",
            # The real quotas are per real hour or day; the emulator has none, and in
            # accelerated time the real ones would hold every parcel back.
            "USPS_RATE_LIMIT": "20/s",
            "DHL_RATE_LIMIT": "20/s",
            "DLQ_ENCRYPTION_KEYS": self._dead_letter_key(),
            # The embedded broker forgets everything when it restarts.
            "KAFKA_RECREATE_TOPICS": "true",
        }
        for carrier in ("UPS", "FEDEX", "USPS", "DHL"):
            defaults[f"{carrier}_BASE_URL"] = emulator
        for name in ("UPS_CLIENT_ID", "UPS_CLIENT_SECRET", "USPS_CLIENT_ID", "USPS_CLIENT_SECRET"):
            defaults[name] = "emulator"
        defaults.update({"FEDEX_API_KEY": "emulator", "FEDEX_SECRET_KEY": "emulator"})
        return defaults

    def _dead_letter_key(self) -> str:
        """The stack's dead-letter sealing key, made once and kept in the var folder so
        ``DLQ_ENCRYPTION_KEYS=$(cat var/dlq.key) parcelwatch dlq replay`` can open them."""
        path = self.settings.var_dir / "dlq.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(Sealer.new_key())
            path.chmod(0o600)
        return path.read_text().strip()

    def start_helpers(self) -> None:
        """The carrier emulator and the mail capture, before the services need them."""
        settings = self.settings
        for port, what, setting in (
            (settings.dev_emulator_port, "carrier emulator", "DEV_EMULATOR_PORT"),
            (settings.dev_mail_smtp_port, "mail capture", "DEV_MAIL_SMTP_PORT"),
            (settings.dev_mail_http_port, "mail inbox", "DEV_MAIL_HTTP_PORT"),
        ):
            _require_free(port, what, setting)
        helpers = {
            "carriers": (["--port", str(settings.dev_emulator_port)], settings.dev_emulator_port),
            "mail": (
                [
                    "--folder",
                    str(settings.var_dir.resolve() / "mail"),
                    "--smtp-port",
                    str(settings.dev_mail_smtp_port),
                    "--http-port",
                    str(settings.dev_mail_http_port),
                ],
                settings.dev_mail_http_port,
            ),
        }
        for name, (args, _) in helpers.items():
            self.helpers[name] = spawn(
                [sys.executable, "-m", "parcelwatch.cli", "dev", name, *args],
                log_path=self.logs / f"{name}.log",
                env=self.env,
            )
        for name, (_, port) in helpers.items():
            wait_for_port("127.0.0.1", port, timeout=30, process=self.helpers[name])

    def start_ops_page(self) -> None:
        """The ops page, over the services' query APIs and the mail inbox."""
        _require_free(self.settings.dev_ops_port, "ops page", "DEV_OPS_PORT")
        urls = {
            f"OPS_{name.upper()}_URL": f"http://127.0.0.1:{entry.settings().http_port}"
            for name, entry in SERVICES.items()
        }
        urls["OPS_INBOX_URL"] = f"http://127.0.0.1:{self.settings.dev_mail_http_port}"
        self.helpers["ops"] = spawn(
            [
                *(sys.executable, "-m", "parcelwatch.cli", "dev", "ops"),
                *("--port", str(self.settings.dev_ops_port)),
            ],
            log_path=self.logs / "ops.log",
            env={**self.env, **urls},
        )
        wait_for_port(
            "127.0.0.1", self.settings.dev_ops_port, timeout=30, process=self.helpers["ops"]
        )

    def start_simulator(self) -> None:
        self.helpers["simulator"] = spawn(
            [sys.executable, "-m", "parcelwatch.cli", "dev", "simulate"],
            log_path=self.logs / "simulator.log",
            env=self.env,
        )

    def start_service(self, name: str) -> None:
        self.services[name] = spawn(
            [sys.executable, "-m", "parcelwatch.cli", "run", name],
            log_path=self.logs / f"{name}.log",
            env=self.env,
        )

    def wait_healthy(self, timeout: float = 45.0) -> None:
        deadline = time.monotonic() + timeout
        pending = set(self.services)
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                if self.services[name].poll() is not None:
                    raise StackError(f"{name} exited; see {self.logs / (name + '.log')}")
                port = SERVICES[name].settings().http_port
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).is_success:
                        pending.discard(name)
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        if pending:
            raise StackError(f"not healthy after {timeout:.0f} s: {sorted(pending)}")

    def describe(self) -> str:
        rows = [
            ("PostgreSQL", self.env["DATABASE_URL"].split("@")[-1], self._origin(self.postgres)),
            ("Kafka broker", self.env["KAFKA_BOOTSTRAP_SERVERS"], self._origin(self.broker)),
        ]
        for name, entry in SERVICES.items():
            port = entry.settings().http_port
            rows.append((name, f"http://127.0.0.1:{port}/healthz  /readyz  /metrics", "service"))
        rows += [
            ("ops page", f"http://127.0.0.1:{self.settings.dev_ops_port}", "helper"),
            ("carrier emulator", f"http://127.0.0.1:{self.settings.dev_emulator_port}", "helper"),
            (
                "mail inbox",
                f"http://127.0.0.1:{self.settings.dev_mail_http_port}  "
                f"(SMTP :{self.settings.dev_mail_smtp_port})",
                "helper",
            ),
        ]
        if "simulator" in self.helpers:
            rows.append(("order simulator", "publishing on orders.v1", "helper"))
        width = max(len(r[0]) for r in rows)
        lines = [f"  {what:<{width}}  {where}  ({origin})" for what, where, origin in rows]
        speed = float(self.env.get("CLOCK_SCALE", "1"))
        return "\n".join(
            [
                "ParcelWatch is running:",
                *lines,
                f"  time: {speed:g} x real time (CLOCK_SCALE)",
                f"  logs: {self.logs.resolve()}",
                *([f"  database files: {self.postgres.location}"] if self.postgres else []),
                "Ctrl-C stops it.",
            ]
        )

    @staticmethod
    def _origin(part: object | None) -> str:
        return "embedded" if part is not None else "external"

    def supervise(self, stopping: threading.Event) -> None:
        """Restart a service that dies, until asked to stop."""
        while not stopping.wait(0.5):
            for name, process in list(self.services.items()):
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; restarting", flush=True)
                    self.start_service(name)

    def stop_all(self) -> None:
        for group in (self.services, self.helpers):
            for process in group.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in group.values():
                stop(process, timeout=40.0)
            group.clear()
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


def _require_free(port: int, what: str, setting: str) -> None:
    if port_open("127.0.0.1", port):
        raise StackError(
            f"port {port} is already in use, so the embedded {what} cannot start: "
            f"stop what listens there, or set {setting} to use it instead"
        )


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def up() -> None:
    """Run the stack in the foreground until Ctrl-C or SIGTERM."""
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    stack = Stack(StackSettings())
    try:
        started = time.monotonic()
        stack.start_infrastructure()
        stack.start_helpers()
        for name in SERVICES:
            stack.start_service(name)
        stack.wait_healthy()
        stack.start_ops_page()
        if stack.settings.dev_simulate:
            stack.start_simulator()
        print(stack.describe(), flush=True)
        print(f"(started in {time.monotonic() - started:.1f} s)", flush=True)
        stack.supervise(stopping)
        print("stopping…", flush=True)
    finally:
        stack.stop_all()
    print("stopped", flush=True)
