"""A whole ``parcelwatch dev up`` stack on free loopback ports, and the probes the fault
tests need: find and kill a service, read every schema, read the mail capture, and check
the final state against the accounting (``tests/faults/accounting.py``)."""

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil  # type: ignore[import-untyped]
from aiokafka import AIOKafkaConsumer, TopicPartition

from parcelwatch.dev.simulator.stories import Story
from parcelwatch.dev.stack import postgres
from parcelwatch.dev.stack.processes import free_port, port_open
from services.notifier.spec import SPEC as notifier
from services.poller.spec import SPEC as poller
from services.sla.spec import SPEC as sla
from shared.contracts import topics
from shared.infra.crash import ENV_VAR as CRASH_ENV_VAR
from shared.infra.settings import KafkaSettings
from shared.infra.spec import group_id
from shared.infra.watermark import KafkaPositions
from tests.faults.accounting import (
    QUIET_HOURS_OFF,
    SEED,
    Expected,
    Limits,
    Observed,
    Report,
    account,
    captured_chats,
    captured_emails,
    check,
)

SERVICES = ("poller", "sla", "notifier")
SCHEMAS = SERVICES
CONSUMER_GROUPS = {"poller": poller.purposes, "sla": sla.purposes, "notifier": notifier.purposes}
"""Each service's consumer groups (``<service>.<purpose>``) by the topic they consume."""
CLOCK_SCALE = 3600.0
QUICK_CLOCK_SCALE = 10800.0
"""The clock of the quick stacks ``make test`` runs: their lifecycles (to hour 94) in 31 s."""
# The topic each service's outbox publishes to.
PRODUCES = {"poller": topics.TRACKING, "sla": topics.SLA, "notifier": topics.NOTIFICATIONS}
# Set in the test session, these reach ``dev up`` (a real Kafka instead of the embedded one).
KAFKA_PASSTHROUGH = ("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_ENABLE_IDEMPOTENCE")
HANDLES: dict[tuple[str, str], frozenset[str]] = {
    # (topic, consumer): the event types it processes (DESIGN §3, docs/sla.md, docs/notifier.md)
    (topics.ORDERS, "poller"): frozenset({"shipment.registered"}),
    (topics.ORDERS, "sla"): frozenset(
        {
            *("order.placed", "order.confirmed", "order.cancelled", "order.payment_declined"),
            "shipment.registered",
            *("delivery.disputed", "dispute.documents_received", "dispute.resolved"),
        }
    ),
    (topics.ORDERS, "notifier"): frozenset(
        {"order.placed", "order.confirmed", "order.payment_declined"}
    ),
    (topics.TRACKING, "sla"): frozenset(
        {"tracking.event", "tracking.status_changed", "tracking.number_invalid"}
    ),
    (topics.TRACKING, "notifier"): frozenset({"tracking.status_changed"}),
    (topics.SLA, "notifier"): frozenset(
        {
            *("sla.ship_by_missed", "sla.ship_promise_missed", "sla.delivery_late"),
            *("sla.tracking_stalled", "sla.delivered", "sla.delivered_disputed"),
            *("sla.dispute_documents_due", "sla.dispute_documents_overdue"),
            *("sla.dispute_documents_received", "sla.order_unconfirmed"),
            *("sla.carrier_exception", "sla.resolved"),
        }
    ),
}
AMBIGUOUS_LOG = re.compile(rb"sending again messages a stopped sender may have delivered: (\d+)")
"""The notifier's log line for each count it adds to ``ambiguous_sends_total``."""


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
    """``parcelwatch dev up`` (simulator off) in a child process.

    When the test session has ``KAFKA_BOOTSTRAP_SERVERS``, the stack uses that Kafka (with
    a topic prefix of its own and the idempotent producer on) instead of the embedded broker.
    """

    var: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    clock_scale: float = CLOCK_SCALE
    ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    clients: list[subprocess.Popen[bytes]] = field(default_factory=list)  # simulators, replicas
    replica_logs: list[Path] = field(default_factory=list)

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
        dropped = ("DATABASE_URL", "KAFKA_TOPIC_PREFIX", CRASH_ENV_VAR, *KAFKA_PASSTHROUGH)
        env = {k: v for k, v in os.environ.items() if k not in dropped}
        if external := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            env.update(
                {
                    "KAFKA_BOOTSTRAP_SERVERS": external,
                    "KAFKA_TOPIC_PREFIX": f"faults-{uuid.uuid4().hex[:10]}.",
                    "KAFKA_ENABLE_IDEMPOTENCE": os.environ.get("KAFKA_ENABLE_IDEMPOTENCE", "true"),
                }
            )
        env.update({k: str(v) for k, v in self.ports.items()})
        env.update(
            {
                "PARCELWATCH_VAR_DIR": str(self.var),
                "DEV_SIMULATE": "false",
                # One clock for the stack and the simulator we drive ourselves.
                "CLOCK_SCALE": str(self.clock_scale),
                "CLOCK_ORIGIN": datetime.now(UTC).isoformat(),
                "LOG_LEVEL": "INFO",
                **QUIET_HOURS_OFF,  # the accounting's who-hears-what assumes them off
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
        output = self.stop()  # a stack that failed to start is not left running
        raise AssertionError(f"the stack did not start within 90 s:\n{output}")

    def stop(self) -> str:
        """End the clients the test left running, Ctrl-C the stack; returns everything
        the stack printed."""
        for client in self.clients:
            if client.poll() is None:
                client.terminate()
                try:
                    client.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    client.kill()
                    client.wait()
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
        postgres.discard(self.var / "postgres")  # the stack's data: wherever it was kept
        return (self.var / "dev-up.out").read_text(errors="replace")

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports['DEV_POSTGRES_PORT']}/parcelwatch"

    @property
    def external_kafka(self) -> bool:
        return "KAFKA_BOOTSTRAP_SERVERS" in self.env

    @property
    def bootstrap(self) -> str:
        return self.env.get("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{self.ports['DEV_BROKER_PORT']}")

    def topic(self, name: str) -> str:
        """The physical name of contract topic ``name`` in this stack."""
        return f"{self.env.get('KAFKA_TOPIC_PREFIX', '')}{name}"

    def group(self, service: str, purpose: str) -> str:
        """The consumer group of ``service``'s subscription for ``purpose`` in this stack."""
        return f"{self.env.get('KAFKA_TOPIC_PREFIX', '')}{group_id(service, purpose)}"

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
            "KAFKA_ENABLE_IDEMPOTENCE": self.env.get("KAFKA_ENABLE_IDEMPOTENCE", "false"),
        }

    def _child_pid(self, matches: Callable[[list[str]], bool]) -> int | None:
        assert self.process is not None
        for child in psutil.Process(self.process.pid).children(recursive=False):
            try:
                if matches(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                    return int(child.pid)
            except psutil.Error:
                continue
        return None

    def service_pid(self, service: str) -> int | None:
        return self._child_pid(lambda cmd: cmd[-2:] == ["run", service])

    def embedded_broker_pid(self) -> int | None:
        """The embedded broker's process; None when the stack uses an external Kafka (a
        test that stops or restarts the broker skips then)."""
        if self.external_kafka:
            return None
        return self._child_pid(lambda cmd: cmd[1:2] == ["broker"] and "--listener-url" in cmd)

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
        return self.wait_restarted(service, pid, timeout)

    def terminate(self, service: str, grace: float = 30.0, timeout: float = 60.0) -> float:
        """SIGTERM the service, wait until it has exited (within ``grace`` seconds) and the
        supervisor has a new healthy one; returns how long the old one took to stop."""
        pid = self.service_pid(service)
        stopped = self.stop_service(service, grace)
        assert pid is not None
        self.wait_restarted(service, pid, timeout)
        return stopped

    def stop_service(self, service: str, grace: float = 30.0) -> float:
        """SIGTERM the service and wait until it has exited (within ``grace`` seconds);
        returns how long it took."""
        pid = self.service_pid(service)
        assert pid is not None, f"{service} is not running"
        process = psutil.Process(pid)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        while not _exited(process):
            assert time.monotonic() - started < grace, f"{service} ignored SIGTERM for {grace} s"
            time.sleep(0.05)
        return time.monotonic() - started

    def wait_restarted(self, service: str, old_pid: int, timeout: float = 60.0) -> int:
        """Until the supervisor has replaced ``old_pid`` with a healthy process; its pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = self.service_pid(service)
            if new is not None and new != old_pid and self.healthy(service):
                return new
            time.sleep(0.2)
        raise AssertionError(f"{service} was not restarted within {timeout:.0f} s")

    @contextlib.contextmanager
    def supervisor_paused(self) -> Iterator[None]:
        """SIGSTOP ``dev up`` itself: the services run on, but one that dies stays dead
        (its replacement is a replica the test starts) until the block ends."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def service_env(self, service: str) -> dict[str, str]:
        """The environment ``dev up`` gave its running ``service`` (its settings)."""
        pid = self.service_pid(service)
        assert pid is not None, f"{service} is not running"
        return dict(psutil.Process(pid).environ())

    def replica(
        self, service: str, log: Path, env: dict[str, str]
    ) -> tuple[subprocess.Popen[bytes], str]:
        """``parcelwatch run <service>`` outside the stack with ``env`` (see
        ``service_env``), on an HTTP port of its own, joining the stack's groups; returns
        the process and its HTTP base URL. ``stop`` ends it if the test did not."""
        port = free_port()
        self.replica_logs.append(log)
        with open(log, "ab") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "parcelwatch.cli", "run", service],
                env={**env, f"{service.upper()}_HTTP_PORT": str(port)},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        self.clients.append(process)
        return process, f"http://127.0.0.1:{port}"

    def metric(
        self,
        service: str,
        name: str,
        label: str = "",
        base: str | None = None,
        labels: tuple[str, ...] = (),
    ) -> float:
        """Sum of a metric's samples (those whose labels contain ``label`` and each of
        ``labels``, e.g. ``'outcome="duplicate"'``). Fails when ``/metrics`` does not
        answer or does not declare the metric: a dead endpoint is no zero."""
        return metric_sum(f"{base or self.http(service)}/metrics", name, label, *labels)

    @property
    def message_id_domain(self) -> str:
        return self.env.get("NOTIFIER_MESSAGE_ID_DOMAIN", "parcelwatch.invalid")

    def ambiguous_sends(self) -> int:
        """Every count the stack's notifier processes (restarts and replicas included) added
        to ``parcelwatch_notifier_ambiguous_sends_total``, from their logs: a counter dies
        with its process, the log line that goes with each increment does not."""
        logs = [self.var / "log" / "notifier.log", *self.replica_logs]
        return sum(
            int(found)
            for log in logs
            if log.exists()
            for found in AMBIGUOUS_LOG.findall(log.read_bytes())
        )

    async def observe(self, emails: Callable[[], Counter[str]] | None = None) -> Observed:
        """What came out: the capture's e-mails (or those ``emails`` says: a test's own
        SMTP server) and chat posts, ``sla.v1``, ``tracking.v1``."""
        return Observed(
            emails() if emails else captured_emails(self.mail_folder),
            captured_chats(self.mail_folder / "chat"),
            await self.events_on(topics.SLA),
            await self.events_on(topics.TRACKING),
        )

    async def settle(
        self,
        expected: Expected,
        timeout: float = 300.0,
        produced: Counter[str] | None = None,
        emails: Callable[[], Counter[str]] | None = None,
    ) -> Observed:
        """Until everything ``expected`` must see is observed (at most ``timeout`` seconds:
        what is missing then is lost), then until quiet; what was observed (``observe``),
        without the events a test ``produced`` itself (``Observed.without``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            observed = (await self.observe(emails)).without(produced or Counter())
            report = account(expected, observed, self.message_id_domain)
            if not any(tally.lost for tally in report.parts):
                break
            await asyncio.sleep(2.0)
        await self.wait_quiet()
        return (await self.observe(emails)).without(produced or Counter())

    async def events_on(self, name: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Every event on contract topic ``name`` (``topic_events``)."""
        return await topic_events(self.bootstrap, self.topic(name), timeout)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def unfinished(self) -> dict[str, int]:
        """Work still in the pipeline: unpublished outbox rows per schema, notifications
        not yet in a final state, records not yet consumed."""
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
        counts["consumer.lag"] = await self.consumer_lag()
        return counts

    async def consumer_lag(self) -> int:
        """Records on the broker that the services' consumer groups have not committed:
        work still to come (the sla service, for one, holds its verdicts until none)."""
        read = KafkaPositions(
            KafkaSettings(kafka_bootstrap_servers=self.bootstrap),
            {
                self.group(service, purpose): self.topic(topic)
                for service, purposes in CONSUMER_GROUPS.items()
                for topic, purpose in purposes.items()
            },
        )
        try:
            positions = await read()
        finally:
            await read.close()
        return sum(p.end_offset - p.next_offset for p in positions if p.behind)

    async def wait_quiet(self, *, stable: float = 10.0, timeout: float = 240.0) -> None:
        """Until nothing is left to publish, consume or send and neither the notifications,
        the capture (e-mails, chat posts) nor the consumers' lag have changed for ``stable``
        seconds."""
        deadline = time.monotonic() + timeout
        last: tuple[int, ...] | None = None
        since = time.monotonic()
        while time.monotonic() < deadline:
            rows = await self.fetch("SELECT count(*) AS n FROM notifier.notifications")
            pending = await self.unfinished()
            seen = (
                int(rows[0]["n"]),
                len(list(self.mail_folder.glob("*.eml"))),
                len(list(self.mail_folder.glob("chat/*.json"))),
                pending["consumer.lag"],
            )
            if seen != last:
                last, since = seen, time.monotonic()
            elif time.monotonic() - since >= stable and not any(pending.values()):
                return
            await asyncio.sleep(1.0)
        raise AssertionError(f"the pipeline never went quiet: {await self.unfinished()}")


async def topic_events(bootstrap: str, topic: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Every event on ``topic``, duplicates included, read from the start to the end
    offsets (assigned partitions, no group); records that are no JSON object with an ``id``
    and a ``type`` (poison a test wrote) are left out."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while not (numbers := consumer.partitions_for_topic(topic)):
            assert time.monotonic() < deadline, f"topic {topic} does not exist"
            await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, n) for n in numbers]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        events: list[dict[str, Any]] = []
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            assert time.monotonic() < deadline, f"{topic} not read in {timeout} s"
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                events += [e for r in batch if (e := _event(r.value)) is not None]
        return events
    finally:
        await consumer.stop()


def _event(value: bytes | None) -> dict[str, Any] | None:
    try:
        event = json.loads(value or b"")
    except ValueError:
        return None
    if isinstance(event, dict) and isinstance(event.get("id"), str) and "type" in event:
        return event
    return None


def metric_sum(url: str, name: str, *labels: str) -> float:
    """Sum of the samples of metric ``name`` at ``url`` whose labels contain each of
    ``labels``. Fails when the endpoint does not answer 200, or does not declare ``name``
    (a ``# TYPE`` line: a misspelt name is no zero either)."""
    try:
        answer = httpx.get(url, timeout=5.0)
    except httpx.TransportError as exc:
        raise AssertionError(f"{url} did not answer: {exc!r}") from None
    assert answer.status_code == 200, f"{url} answered {answer.status_code}"
    declared = {line.split()[2] for line in answer.text.splitlines() if line.startswith("# TYPE ")}
    family = re.sub(r"_(bucket|count|sum)$", "", name)  # a histogram's series
    assert {name, family} & declared, f"{url} declares no metric {name}"
    total = 0.0
    for line in answer.text.splitlines():
        head = line.split(" ")[0]
        if (head == name or head.startswith(name + "{")) and all(part in head for part in labels):
            total += float(line.split()[-1])
    return total


def _exited(process: psutil.Process) -> bool:
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def simulate(
    stack: DevStack, orders: int, per_minute: float, stories: tuple[Story, ...] = tuple(Story)
) -> subprocess.Popen[bytes]:
    """``parcelwatch dev simulate --orders N --stories …`` against the stack, on its clock,
    with the seed the accounting replays (``accounting.simulated``)."""
    with open(stack.var / "simulate.log", "ab") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "parcelwatch.cli", "dev", "simulate"),
                *("--orders", str(orders), "--per-minute", str(per_minute)),
                *("--stories", ",".join(stories)),
            ],
            env={**stack.client_env(), "SIMULATOR_SEED": str(SEED)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    stack.clients.append(process)
    return process


def ports_closed(stack: DevStack) -> bool:
    return not [p for p in stack.ports.values() if port_open("127.0.0.1", p)]


@dataclass
class FinalState:
    """A checked final state: the accounting and the figures of the notes."""

    report: Report
    emails: int  # e-mail rows sent
    chats: int  # chat rows sent
    interrupted: int  # of those, sent in more than one attempt
    ambiguous: int  # the notifier's count of rows found mid-send with no live sender
    republished: dict[str, int] = field(default_factory=dict)  # extra copies, by producer

    @property
    def note(self) -> str:
        return (
            f"{self.emails} emails and {self.chats} chat posts, {self.interrupted} interrupted "
            f"mid-send, {self.report.messages.copies} duplicated, {self.ambiguous} counted "
            "ambiguous"
        )


async def check_final_state(
    stack: DevStack,
    expected: Expected,
    *,
    exact: bool = True,
    also_ambiguous: int = 0,
    republished: int | None = 0,
    at_risk: frozenset[str] = frozenset(),
    produced: Counter[str] | None = None,
    poison: frozenset[str] = frozenset(),
    broker_restarted: bool = False,
    timeout: float = 300.0,
) -> FinalState:
    """Settle, account, print the accounting and check it and the pipeline's invariants.

    Accounting (``accounting.check``): nothing lost or unexpected but in ``at_risk`` orders;
    messages duplicated exactly as often as the notifier counted its ambiguous window, plus
    ``also_ambiguous`` other sends it counted as possibly delivered (not ``exact``: at most
    that often, where a process killed at a random moment or a connection cut may leave a
    message the server had not accepted yet); at most ``republished`` extra copies of
    one ``tracking.v1`` / ``sla.v1`` item. Pipeline: every notification final, a duplicated
    message only for a row sent more than once, every outbox row on its topic, every event
    processed by each consumer that handles its type (``HANDLES``). ``produced``: copies of
    events the test produced itself, left out of the accounting; ``poison``: ids of those no
    consumer may process (dead-lettered). ``broker_restarted``: the inboxes remember events
    the broker lost, no longer on any topic.
    """
    observed = await stack.settle(expected.relaxed(at_risk), timeout, produced)
    report = account(expected, observed, stack.message_id_domain)
    print(report.text())
    ambiguous = stack.ambiguous_sends()

    rows = await stack.fetch(
        "SELECT order_id, kind, state, attempts, last_error FROM notifier.notifications"
    )
    unfinished = [dict(r) for r in rows if r["state"] not in ("sent", "failed", "skipped")]
    assert not unfinished, f"notifications not in a final state: {unfinished[:5]}"
    failed = [dict(r) for r in rows if r["state"] == "failed"]
    assert not failed, f"the capture accepts everything, yet: {failed[:5]}"
    attempts: dict[tuple[str, ...], int] = {(r["order_id"], r["kind"]): r["attempts"] for r in rows}
    once = [key for key in report.messages.duplicated if attempts.get(key, 0) < 2]
    assert not once, f"duplicated, yet sent in one attempt: {once}"

    on_topic = {name: await stack.events_on(name) for name in (topics.ORDERS, *PRODUCES.values())}
    copies = {}
    for producer, topic in PRODUCES.items():
        outbox = await stack.fetch(
            f"SELECT event_id, published_at FROM {producer}.outbox WHERE topic = $1",  # noqa: S608
            topic,
        )
        unpublished = [r["event_id"] for r in outbox if r["published_at"] is None]
        assert not unpublished, f"{producer} never published {unpublished[:5]}"
        ids = Counter(e["id"] for e in on_topic[topic])
        absent = [r["event_id"] for r in outbox if r["event_id"] not in ids]
        assert not absent, f"{producer} marked published, not on {topic}: {absent[:5]}"
        ids.subtract(produced or Counter())
        copies[producer] = sum(n - 1 for n in ids.values() if n > 1)
    for (topic, consumer), types in HANDLES.items():
        inbox = {
            r["event_id"]
            for r in await stack.fetch(
                f"SELECT event_id FROM {consumer}.inbox WHERE topic = $1",  # noqa: S608
                stack.topic(topic),
            )
        }
        events = [e for e in on_topic[topic] if e["id"] not in poison]
        missing = unprocessed(events, inbox, types)
        assert not missing, f"{consumer} never processed from {topic}: {missing[:5]}"
        strangers = [] if broker_restarted else sorted(inbox - {e["id"] for e in events})
        assert not strangers, f"{consumer} processed what {topic} lacks: {strangers[:5]}"

    window = ambiguous + also_ambiguous
    check(report, Limits(window if exact else range(window + 1), republished, at_risk))
    sent = [r for r in rows if r["state"] == "sent"]
    chats = sum(1 for r in sent if r["kind"].startswith("ops_"))
    interrupted = sum(1 for r in sent if r["attempts"] >= 2)
    return FinalState(report, len(sent) - chats, chats, interrupted, ambiguous, copies)


def unprocessed(events: list[dict[str, Any]], inbox: set[str], types: frozenset[str]) -> list[str]:
    """Ids of the ``events`` of ``types`` not in ``inbox``."""
    return sorted({e["id"] for e in events if e["type"] in types} - inbox)
