"""Carrier faults against a running poller process (``parcelwatch run poller``), with the
carrier emulator served from this test's event loop and the session's broker and
PostgreSQL. Each fault is a phase of its own on one poller process:

- 429 with ``Retry-After``, a run of 500s (the breaker opens, probes, closes), a 401 storm
  per OAuth carrier (one token refresh each), a body that trickles for a minute (the
  whole-call deadline cuts it), 20 MB bodies (refused at the cap; the poller's RSS is
  sampled throughout), half a JSON body, error codes no classifier knows;
- after each phase: every shipment of the phase is tracked (a scan stored, its events
  in the outbox, published), no shipment asked the emulator more often than its fault
  allows, and the metrics count the fault by its reason; the accounting of the phase on
  ``tracking.v1`` (``accounting.py``): each shipment's first status move (its lifecycle's
  label scan) there, no item twice, nothing its lifecycle does not call for;
- at the end: the same poller pid, healthy, and no "carrier call failed" (a client bug)
  in its log.
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import psutil  # type: ignore[import-untyped]
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from parcelwatch.dev.emulator.app import build_app as build_emulator
from parcelwatch.dev.emulator.scenarios import Scenario, number_for
from parcelwatch.dev.emulator.settings import EmulatorSettings
from parcelwatch.dev.emulator.state import Emulator
from parcelwatch.dev.stack.processes import free_port
from shared.contracts import topics
from shared.contracts.envelope import new_event
from shared.contracts.events import ShipmentRegistered
from shared.infra.clock import ScaledClock
from shared.infra.http import http_server
from shared.infra.kafka import ensure_topics
from shared.infra.settings import KafkaSettings
from tests.faults.accounting import Observed, Tally, account, expect, orders_of
from tests.faults.harness import RESULTS, Summary, topic_events
from tests.support.infrastructure import Broker, Database

SCALE = 60.0
"""An emulated minute per real second: a failed poll is retried after ``RETRY_INTERVAL``
(1 s), a tracked parcel (label created) is not polled again for 3 minutes."""
MIB = 1024 * 1024
CAP = 2 * MIB  # POLLER_MAX_RESPONSE_BYTES
HUGE = 20 * MIB  # EMULATOR_HUGE_BYTES
RSS_BOUND = 20 * MIB
"""Growth of the poller's RSS allowed while 20 MB bodies are served: less than one body."""
DEADLINE = 2.0  # POLLER_CALL_DEADLINE; the drip lasts 60 s
RETRIES = 3  # POLLER_CALL_RETRIES
FAULT_REQUESTS = 2  # EMULATOR_FAULT_REQUESTS
OUTAGE_REQUESTS = 6  # EMULATOR_OUTAGE_REQUESTS, over POLLER_BREAKER_FAILURES (5)
SERIALS = iter(range(1, 10_000))


@dataclass(frozen=True)
class Parcel:
    shipment_id: str
    carrier: str
    number: str


def parcels(carrier: str, scenario: Scenario, count: int) -> list[Parcel]:
    return [
        Parcel(f"sh-{uuid.uuid4().hex[:12]}", carrier, number_for(carrier, scenario, next(SERIALS)))
        for _ in range(count)
    ]


def _registrations(batch: Iterable[Parcel]) -> list[ShipmentRegistered]:
    return [
        ShipmentRegistered(
            order_id=f"o-{parcel.shipment_id}",
            shipment_id=parcel.shipment_id,
            carrier=parcel.carrier,
            tracking_number=parcel.number,
            registered_at=datetime.now(UTC),
        )
        for parcel in batch
    ]


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class Rig:
    """The poller process under test, the in-process emulator and the database."""

    emulator: Emulator
    process: subprocess.Popen[bytes]
    poller_url: str
    database_url: str
    kafka: KafkaSettings
    log: Path

    async def samples(self) -> Samples:
        async with httpx.AsyncClient(timeout=5.0) as http:
            text = (await http.get(f"{self.poller_url}/metrics")).text
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    async def register(self, batch: Iterable[Parcel]) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka.kafka_bootstrap_servers)
        await producer.start()
        try:
            for data in _registrations(batch):
                event = new_event(data, "tests.faults", event_id=f"reg-{data.shipment_id}")
                await producer.send_and_wait(
                    self.kafka.topic(topics.ORDERS), event.to_json(), key=event.key
                )
        finally:
            await producer.stop()

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def untracked(self, batch: list[Parcel], timeout: float = 120.0) -> set[str]:
        """Shipments of ``batch`` without a stored scan and a published status event once
        ``timeout`` has passed (empty as soon as all are)."""
        ids = [p.shipment_id for p in batch]
        deadline = time.monotonic() + timeout
        while True:
            rows = await self.fetch(
                "SELECT s.shipment_id FROM poller.shipments s WHERE s.shipment_id = ANY($1)"
                " AND s.status IS NOT NULL"
                " AND EXISTS (SELECT 1 FROM poller.scans c WHERE c.shipment_id = s.shipment_id)",
                ids,
            )
            scanned = {r["shipment_id"] for r in rows}
            published = {sid for sid, _ in await self.status_events(published=True)}
            missing = set(ids) - (scanned & published)
            if not missing or time.monotonic() > deadline:
                return missing
            await asyncio.sleep(0.2)

    async def status_events(self, *, published: bool = False) -> list[tuple[str, str]]:
        """(shipment, status) of every ``tracking.status_changed`` in the outbox."""
        clause = " WHERE published_at IS NOT NULL" if published else ""
        rows = await self.fetch(f"SELECT payload FROM poller.outbox{clause}")  # noqa: S608
        found = []
        for row in rows:
            event = json.loads(bytes(row["payload"]))
            if event["type"] == "tracking.status_changed":
                found.append((event["data"]["shipment_id"], event["data"]["status"]))
        return found

    async def account(self, batch: list[Parcel]) -> Tally:
        """The batch's part of ``tracking.v1``, against what its registrations call for
        (the first move of each lifecycle; later moves as the emulated hours pass)."""
        expected = expect(orders_of(_registrations(batch)), moves_after_hour=0)
        mine = set(expected.orders)
        events = await topic_events(
            self.kafka.kafka_bootstrap_servers, self.kafka.topic(topics.TRACKING)
        )
        observed = Observed(
            Counter(), Counter(), [], [e for e in events if e["data"]["order_id"] in mine]
        )
        return account(expected, observed, "unused").tracking

    def requests(self, parcel: Parcel) -> int:
        return self.emulator.requests(parcel.carrier, parcel.number)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """Growth of the samples called ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(
        value - before.get(key, 0.0)
        for key, value in after.items()
        if key[0] == name and wanted <= key[1]
    )


FAILURES = "parcelwatch_poller_api_failures_total"
RETRIED = "parcelwatch_poller_api_retries_total"


@contextlib.asynccontextmanager
async def rig(broker: Broker, postgres: Database, var: Path) -> AsyncIterator[Rig]:
    origin = datetime.now(UTC)
    settings = EmulatorSettings(
        port=free_port(),
        clock_scale=SCALE,
        retry_after=1,
        drip_seconds=60.0,
        huge_bytes=HUGE,
        fault_requests=FAULT_REQUESTS,
        outage_requests=OUTAGE_REQUESTS,
    )
    app = build_emulator(settings, ScaledClock(SCALE, origin=origin))
    server = http_server(app, "127.0.0.1", settings.port)
    serving = asyncio.create_task(server.serve())
    prefix = f"faults-{uuid.uuid4().hex[:8]}."
    kafka = KafkaSettings(
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_enable_idempotence=broker.is_apache_kafka,
        kafka_topic_prefix=prefix,
        kafka_topic_partitions=3,
    )
    await ensure_topics(kafka, topics.all_with_dead_letters())
    name = f"carrier_faults_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    emulated = f"http://127.0.0.1:{settings.port}"
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KAFKA_", "POLLER_", "UPS_", "FEDEX_", "USPS_", "DHL_", "CLOCK_"))
        and k != "DATABASE_URL"
    }
    env.update(
        {
            "DATABASE_URL": postgres.url(name),
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "KAFKA_ENABLE_IDEMPOTENCE": str(broker.is_apache_kafka).lower(),
            "KAFKA_TOPIC_PREFIX": prefix,
            "CLOCK_SCALE": str(SCALE),
            "CLOCK_ORIGIN": origin.isoformat(),
            "POLLER_HTTP_PORT": str(port),
            "POLLER_CALL_DEADLINE": str(DEADLINE),
            "POLLER_MAX_RESPONSE_BYTES": str(CAP),
            "POLLER_CALL_RETRIES": str(RETRIES),
            "POLLER_RETRY_BACKOFF": "0.05",
            "POLLER_RETRY_MAX_WAIT": "5",
            "POLLER_BREAKER_FAILURES": "5",
            "POLLER_BREAKER_COOLDOWN": "1",
            "POLLER_RETRY_INTERVAL": "60",  # emulated seconds: 1 s real
            "POLLER_IDLE_INTERVAL": "0.05",
            "POLLER_STATS_INTERVAL": "0.5",
            "UPS_CLIENT_ID": "faults",
            "UPS_CLIENT_SECRET": "faults",
            "USPS_CLIENT_ID": "faults",
            "USPS_CLIENT_SECRET": "faults",
            "FEDEX_API_KEY": "faults",
            "FEDEX_SECRET_KEY": "faults",
            "DHL_API_KEY": "faults",
            "LOG_LEVEL": "INFO",
        }
    )
    for carrier in ("UPS", "FEDEX", "USPS", "DHL"):
        env[f"{carrier}_BASE_URL"] = emulated
        env[f"{carrier}_RATE_LIMIT"] = "1000/s"
        env[f"{carrier}_CONCURRENCY"] = "8"
    log = var / "poller.log"
    process = _start_poller(env, log)
    the_rig = Rig(
        app.state.emulator, process, f"http://127.0.0.1:{port}", postgres.url(name), kafka, log
    )
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(timeout=1.0) as http:
            while True:
                assert process.poll() is None, log.read_text()
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{the_rig.poller_url}/readyz")).is_success:
                        break
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.2)
        yield the_rig
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        server.should_exit = True
        await serving
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _start_poller(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "parcelwatch.cli", "run", "poller"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


async def _phase(the_rig: Rig, batch: list[Parcel], fault: str) -> Summary:
    """Register ``batch``, wait until it is tracked, account for it; its summary row (the
    caller records it once its own checks passed)."""
    await the_rig.register(batch)
    missing = await the_rig.untracked(batch)
    assert not missing, f"{fault}: never tracked: {missing}\n{the_rig.log.read_text()[-4000:]}"
    tally = await the_rig.account(batch)
    assert not (tally.lost or tally.duplicated or tally.unexpected), "\n".join(tally.lines())
    return Summary(fault, len(batch), len(tally.lost), tally.copies)


async def test_carrier_faults_are_bounded_observable_and_lose_nothing(
    broker: Broker, postgres: Database, tmp_path: Path
) -> None:
    async with rig(broker, postgres, tmp_path / "var") as the_rig:
        pid = the_rig.process.pid
        warm = [p for c in ("ups", "fedex", "usps", "dhl") for p in parcels(c, Scenario.ON_TIME, 1)]
        await the_rig.register(warm)
        assert not await the_rig.untracked(warm, timeout=90), the_rig.log.read_text()

        await _rate_limited(the_rig)
        await _server_outage(the_rig)
        await _token_storms(the_rig)
        await _slow_drip(the_rig)
        await _huge_bodies(the_rig)
        await _invalid_json(the_rig)
        await _unknown_codes(the_rig)

        assert the_rig.process.poll() is None and the_rig.process.pid == pid
        async with httpx.AsyncClient(timeout=5.0) as http:
            assert (await http.get(f"{the_rig.poller_url}/healthz")).is_success
        unpublished = await the_rig.fetch(
            "SELECT event_id FROM poller.outbox WHERE published_at IS NULL"
        )
        assert unpublished == []
    log = the_rig.log.read_text()
    assert "carrier call failed" not in log and "Traceback" not in log, log[-4000:]


async def _rate_limited(the_rig: Rig) -> None:
    """UPS answers 429 with Retry-After: 1 to requests 1-3 of every 4."""
    before = await the_rig.samples()
    batch = parcels("ups", Scenario.RATE_LIMITED, 3)
    started = time.monotonic()
    row = await _phase(the_rig, batch, "carrier 429 + Retry-After (ups)")
    took = time.monotonic() - started
    after = await the_rig.samples()
    assert [the_rig.requests(p) for p in batch] == [4] * len(batch)
    limited = delta(before, after, FAILURES, carrier="ups", reason="rate_limited")
    waits = delta(before, after, "parcelwatch_poller_rate_limit_waits_total", carrier="ups")
    waited = delta(before, after, "parcelwatch_poller_rate_limit_wait_seconds_total", carrier="ups")
    assert limited == 3 * len(batch) and waits >= 1
    assert delta(before, after, RETRIED, carrier="ups", reason="rate_limited") == limited
    # Three rounds of 429 per number, each followed by the 1 s pause Retry-After asked for
    # (with the 0.05 s backoff alone the phase would be over in well under a second).
    assert waited >= 3 * 0.9 and took >= 3 * 0.9, (waited, took)
    row.note = (
        f"{limited:.0f} x 429 with Retry-After 1 s, {waited:.1f} s paused, {took:.1f} s in all"
    )
    RESULTS.append(row)


async def _server_outage(the_rig: Rig) -> None:
    """USPS answers 500 to the first six requests of each number: the breaker opens."""
    before = await the_rig.samples()
    batch = parcels("usps", Scenario.SERVER_OUTAGE, 2)
    row = await _phase(the_rig, batch, "carrier 5xx run (usps)")
    after = await the_rig.samples()
    assert [the_rig.requests(p) for p in batch] == [OUTAGE_REQUESTS + 1] * len(batch)
    moves = {
        state: delta(
            before,
            after,
            "parcelwatch_poller_circuit_transitions_total",
            carrier="usps",
            state=state,
        )
        for state in ("open", "half_open", "closed")
    }
    assert moves["open"] >= 1 and moves["half_open"] >= 1 and moves["closed"] >= 1, moves
    assert after[("parcelwatch_poller_circuit_open", frozenset({("carrier", "usps")}))] == 0
    errors = delta(before, after, FAILURES, carrier="usps", reason="server_error")
    assert errors == OUTAGE_REQUESTS * len(batch)
    row.note = (
        f"{errors:.0f} x 500; breaker opened {moves['open']:.0f}x, "
        f"probed {moves['half_open']:.0f}x, closed {moves['closed']:.0f}x"
    )
    RESULTS.append(row)


async def _token_storms(the_rig: Rig) -> None:
    """One storm number among six on-time numbers per OAuth carrier: one refresh each."""
    before = await the_rig.samples()
    storms = {c: parcels(c, Scenario.TOKEN_STORM, 1) for c in ("ups", "fedex", "usps")}
    calm = {c: parcels(c, Scenario.ON_TIME, 6) for c in storms}
    batch = [p for c in storms for p in storms[c] + calm[c]]
    row = await _phase(the_rig, batch, "carrier 401 storm (ups, fedex, usps)")
    after = await the_rig.samples()
    refreshes = {
        c: delta(before, after, "parcelwatch_poller_token_refreshes_total", carrier=c)
        for c in storms
    }
    assert refreshes == dict.fromkeys(storms, 1.0)
    assert all(the_rig.requests(p) == 2 for c in storms for p in storms[c])
    row.iterations = len(storms)
    row.note = f"3 storms, {len(batch)} shipments, token refreshes {refreshes}"
    RESULTS.append(row)


async def _slow_drip(the_rig: Rig) -> None:
    """DHL sends headers, then the body over 60 s, to requests 1-2 of each number."""
    before = await the_rig.samples()
    batch = parcels("dhl", Scenario.SLOW_DRIP, 2)
    row = await _phase(the_rig, batch, "carrier slow-drip body (dhl)")
    after = await the_rig.samples()
    assert [the_rig.requests(p) for p in batch] == [FAULT_REQUESTS + 1] * len(batch)
    cut = delta(before, after, FAILURES, carrier="dhl", reason="deadline")
    assert cut == FAULT_REQUESTS * len(batch)
    row.note = f"{cut:.0f} calls cut at the {DEADLINE:g} s deadline (drip: 60 s)"
    RESULTS.append(row)


async def _huge_bodies(the_rig: Rig) -> None:
    """UPS answers 20 MB to requests 1-2 of three numbers; the RSS is sampled throughout."""
    process = psutil.Process(the_rig.process.pid)
    baseline = process.memory_info().rss
    peak = baseline
    sampling = True

    async def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, process.memory_info().rss)
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(sample())
    before = await the_rig.samples()
    batch = parcels("ups", Scenario.HUGE_BODY, 3)
    try:
        row = await _phase(the_rig, batch, "carrier 20 MB bodies (ups)")
    finally:
        sampling = False
        await sampler
    after = await the_rig.samples()
    assert [the_rig.requests(p) for p in batch] == [FAULT_REQUESTS + 1] * len(batch)
    refused = delta(before, after, FAILURES, carrier="ups", reason="too_large")
    assert refused == FAULT_REQUESTS * len(batch)
    growth = peak - baseline
    row.note = (
        f"{refused:.0f} bodies of {HUGE // MIB} MiB refused at {CAP // MIB} MiB; "
        f"RSS {baseline / MIB:.0f} MiB, peak +{growth / MIB:.1f} MiB"
    )
    assert growth < RSS_BOUND, row.note
    RESULTS.append(row)


async def _invalid_json(the_rig: Rig) -> None:
    """FedEx answers half a JSON body to requests 1-2 (both numbers in one batch)."""
    before = await the_rig.samples()
    batch = parcels("fedex", Scenario.INVALID_JSON, 2)
    row = await _phase(the_rig, batch, "carrier invalid JSON (fedex)")
    after = await the_rig.samples()
    assert all(the_rig.requests(p) <= FAULT_REQUESTS + 1 for p in batch)
    bad = delta(before, after, FAILURES, carrier="fedex", reason="not_json")
    assert 1 <= bad <= FAULT_REQUESTS * len(batch)
    row.note = f"{bad:.0f} calls answered with invalid JSON, none retried in-call"
    RESULTS.append(row)


async def _unknown_codes(the_rig: Rig) -> None:
    """Every carrier answers 400 with an unknown error code to requests 1-2."""
    before = await the_rig.samples()
    carriers = ("ups", "fedex", "usps", "dhl")
    batch = [p for c in carriers for p in parcels(c, Scenario.UNKNOWN_ERROR, 1)]
    row = await _phase(the_rig, batch, "carrier unknown error codes (all four)")
    after = await the_rig.samples()
    assert [the_rig.requests(p) for p in batch] == [FAULT_REQUESTS + 1] * len(batch)
    unknown = {
        c: delta(before, after, FAILURES, carrier=c, reason="unknown_error") for c in carriers
    }
    assert unknown == dict.fromkeys(carriers, float(FAULT_REQUESTS))
    row.note = f"{sum(unknown.values()):.0f} unknown codes counted, shipments rescheduled"
    RESULTS.append(row)
