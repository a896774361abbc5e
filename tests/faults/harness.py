"""A whole ``parcelwatch dev up`` stack on free loopback ports, and the probes the fault
tests need: find and kill a service, read every schema, read the mail capture."""

import asyncio
import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil  # type: ignore[import-untyped]

from parcelwatch.devstack.processes import free_port, port_open
from services.notifier.headers import message_id

SERVICES = ("poller", "sla", "notifier")
SCHEMAS = SERVICES
CLOCK_SCALE = 3600.0


@dataclass
class Summary:
    """One row of the table printed at the end of ``make test-faults``."""

    fault: str
    iterations: int
    lost: int
    duplicated: int
    note: str = ""


RESULTS: list[Summary] = []


@dataclass
class DevStack:
    """``parcelwatch dev up`` (simulator off) in a child process."""

    var: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.ports = {
            "DEV_POSTGRES_PORT": free_port(),
            "DEV_BROKER_PORT": free_port(),
            "DEV_EMULATOR_PORT": free_port(),
            "DEV_MAIL_SMTP_PORT": free_port(),
            "DEV_MAIL_HTTP_PORT": free_port(),
            "DEV_OPS_PORT": free_port(),
            **{f"{name.upper()}_HTTP_PORT": free_port() for name in SERVICES},
        }
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "PARCELWATCH_CRASH_POINT")
        }
        env.update({k: str(v) for k, v in self.ports.items()})
        env.update(
            {
                "PARCELWATCH_VAR_DIR": str(self.var),
                "DEV_SIMULATE": "false",
                # One clock for the stack and the simulator we drive ourselves.
                "CLOCK_SCALE": str(CLOCK_SCALE),
                "CLOCK_ORIGIN": datetime.now(UTC).isoformat(),
                "LOG_LEVEL": "INFO",
                **self.extra_env,
            }
        )
        self.env = env
        self.var.mkdir(parents=True, exist_ok=True)
        out = self.var / "dev-up.out"
        with open(out, "wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "parcelwatch.cli", "dev", "up"],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.process.poll() is None:
            if "Ctrl-C stops it" in out.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise AssertionError(out.read_text(errors="replace"))

    def stop(self) -> str:
        """Ctrl-C the stack; returns everything it printed."""
        if self.process is None:
            return ""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                child.kill()
            self.process.kill()
            self.process.wait()
        return (self.var / "dev-up.out").read_text(errors="replace")

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports['DEV_POSTGRES_PORT']}/parcelwatch"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports['DEV_BROKER_PORT']}"

    @property
    def mail_folder(self) -> Path:
        return self.var / "mail"

    def http(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[f'{service.upper()}_HTTP_PORT']}"

    def client_env(self) -> dict[str, str]:
        """Environment for a process outside the stack that joins it (simulator, a
        service started by hand)."""
        return {
            **self.env,
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_ENABLE_IDEMPOTENCE": "false",
        }

    def service_pid(self, service: str) -> int | None:
        assert self.process is not None
        for child in psutil.Process(self.process.pid).children(recursive=False):
            try:
                cmd = child.cmdline()
            except psutil.Error:
                continue
            if cmd[-2:] == ["run", service] and child.status() != psutil.STATUS_ZOMBIE:
                return int(child.pid)
        return None

    def healthy(self, service: str) -> bool:
        try:
            return httpx.get(f"{self.http(service)}/healthz", timeout=1.0).is_success
        except httpx.TransportError:
            return False

    def kill(self, service: str, timeout: float = 60.0) -> int:
        """kill -9 the service, wait until the supervisor has a new healthy one; returns
        the new pid."""
        pid = self.service_pid(service)
        assert pid is not None, f"{service} is not running"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = self.service_pid(service)
            if new is not None and new != pid and self.healthy(service):
                return new
            time.sleep(0.2)
        raise AssertionError(f"{service} was not restarted within {timeout:.0f} s")

    def metric(self, service: str, name: str, label: str = "", base: str | None = None) -> float:
        """Sum of a metric's samples (those whose labels contain ``label``)."""
        try:
            text = httpx.get(f"{base or self.http(service)}/metrics", timeout=2.0).text
        except httpx.TransportError:
            return 0.0
        total = 0.0
        for line in text.splitlines():
            head = line.split(" ")[0]
            if (head == name or head.startswith(name + "{")) and label in head:
                total += float(line.split()[-1])
        return total

    def captured_message_ids(self) -> Counter[str]:
        ids: Counter[str] = Counter()
        for path in self.mail_folder.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            ids[str(message["Message-ID"]).strip()] += 1
        return ids

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def unfinished(self) -> dict[str, int]:
        """Work still in the pipeline: unpublished outbox rows per schema, notifications
        not yet in a final state."""
        counts: dict[str, int] = {}
        for schema in SCHEMAS:
            rows = await self.fetch(
                f"SELECT count(*) AS n FROM {schema}.outbox WHERE published_at IS NULL"  # noqa: S608
            )
            counts[f"{schema}.outbox"] = int(rows[0]["n"])
        rows = await self.fetch(
            "SELECT count(*) AS n FROM notifier.notifications WHERE state IN ('pending', 'sending')"
        )
        counts["notifier.unfinished"] = int(rows[0]["n"])
        return counts

    async def wait_quiet(self, *, stable: float = 10.0, timeout: float = 240.0) -> None:
        """Until nothing is left to publish or send and neither the notifications nor the
        capture have changed for ``stable`` seconds."""
        deadline = time.monotonic() + timeout
        last: tuple[int, int] | None = None
        since = time.monotonic()
        while time.monotonic() < deadline:
            rows = await self.fetch("SELECT count(*) AS n FROM notifier.notifications")
            seen = (int(rows[0]["n"]), len(list(self.mail_folder.glob("*.eml"))))
            if seen != last:
                last, since = seen, time.monotonic()
            elif time.monotonic() - since >= stable and not any((await self.unfinished()).values()):
                return
            await asyncio.sleep(1.0)
        raise AssertionError(f"the pipeline never went quiet: {await self.unfinished()}")


def simulate(stack: DevStack, orders: int, per_minute: float) -> subprocess.Popen[bytes]:
    """``parcelwatch dev simulate --orders N`` against the stack, on its clock."""
    with open(stack.var / "simulate.log", "ab") as log:
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "parcelwatch.cli", "dev", "simulate"),
                *("--orders", str(orders), "--per-minute", str(per_minute)),
            ],
            env=stack.client_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def ports_closed(stack: DevStack) -> bool:
    return not [p for p in stack.ports.values() if port_open("127.0.0.1", p)]


@dataclass
class FinalState:
    """Figures of a checked final state."""

    emails: int
    duplicated: int
    interrupted: int
    lost: dict[str, int] = field(default_factory=dict)  # by producing service

    @property
    def note(self) -> str:
        return (
            f"{self.emails} emails, {self.interrupted} interrupted mid-send, "
            f"{self.duplicated} in the ambiguous window"
        )


async def check_final_state(stack: DevStack, max_duplicates: int) -> FinalState:
    """The invariants on a quiet stack; returns the figures of the summary table."""
    rows = await stack.fetch(
        "SELECT id, dedup_key, kind, state, attempts, last_error FROM notifier.notifications"
    )
    unexpected = [
        dict(r)
        for r in rows
        if r["state"] not in ("sent", "failed", "skipped")
        or (r["state"] == "skipped" and not r["kind"].startswith("ops_"))
    ]
    assert not unexpected, f"notifications not in a documented final state: {unexpected}"
    failed = [dict(r) for r in rows if r["state"] == "failed"]
    assert not failed, f"the capture accepts everything, yet: {failed}"

    domain = stack.env.get("NOTIFIER_MESSAGE_ID_DOMAIN", "parcelwatch.invalid")
    emails = [r for r in rows if not r["kind"].startswith("ops_") and r["state"] == "sent"]
    expected = {message_id(r["dedup_key"], domain): r for r in emails}
    captured = stack.captured_message_ids()
    lost = sorted(set(expected) - set(captured))
    assert not lost, f"{len(lost)} sent notifications have no captured email: {lost[:5]}"
    strangers = sorted(set(captured) - set(expected))
    assert not strangers, f"captured emails no notification row explains: {strangers[:5]}"
    twice = {mid: n for mid, n in captured.items() if n > 1}
    assert all(n == 2 for n in twice.values()), f"more than one duplicate: {twice}"
    unexplained = [mid for mid in twice if expected[mid]["attempts"] < 2]
    assert not unexplained, f"duplicates of rows no kill interrupted: {unexplained}"
    interrupted = sum(1 for r in emails if r["attempts"] >= 2)
    assert len(twice) <= max_duplicates, twice

    report = FinalState(len(emails), len(twice), interrupted, {"notifier": len(lost)})
    # Events: every row an outbox published reached the consumer that handles its type.
    for producer, consumer in (("poller", "sla"), ("sla", "notifier")):
        handled = await stack.fetch(
            f"SELECT DISTINCT topic FROM {consumer}.inbox"  # noqa: S608
        )
        topics = [r["topic"] for r in handled]
        published = await stack.fetch(
            f"SELECT event_id, topic, payload, published_at FROM {producer}.outbox "  # noqa: S608
            "WHERE topic = ANY($1::text[])",
            topics,
        )
        consumed = {
            r["event_id"]
            for r in await stack.fetch(f"SELECT event_id FROM {consumer}.inbox")  # noqa: S608
        }
        assert all(r["published_at"] is not None for r in published)
        types_seen = {
            json.loads(bytes(r["payload"]))["type"] for r in published if r["event_id"] in consumed
        }
        missing = [
            r["event_id"]
            for r in published
            if r["event_id"] not in consumed
            and json.loads(bytes(r["payload"]))["type"] in types_seen
        ]
        assert not missing, f"{producer} published, {consumer} never processed: {missing[:5]}"
        report.lost[producer] = len(missing)
        assert published, f"{producer} published nothing {consumer} reads"
    return report
