"""Poller benchmarks against the carrier emulator, both baselines measured in the same run.

1. Throughput: shipments refreshed per second through the whole poller (claim, carrier
   call, dedup, state and outbox writes, relay to Kafka), UPS (one number a call) and
   FedEx (30 a call), vs a bare httpx loop sending the same requests with the same
   concurrency to the same emulator.
2. Economy: carrier API calls per delivered shipment over the scripted lifecycles (to
   the end of the 48 h watch window), status-aware policy vs a fixed 1-hour interval.
"""

import asyncio
import contextlib
import itertools
import logging
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from bench.infra import Infra, infrastructure
from parcelwatch.dev.emulator.app import build_app as build_emulator
from parcelwatch.dev.emulator.scenarios import Scenario, number_for
from parcelwatch.dev.emulator.settings import EmulatorSettings
from parcelwatch.dev.stack.processes import free_port
from services.poller.carriers.registry import registry
from services.poller.entrypoint import PollerDeps, build_app
from services.poller.settings import PollerSettings
from shared.contracts import topics
from shared.contracts.envelope import new_event
from shared.contracts.events import ShipmentRegistered
from shared.infra.clock import ScaledClock
from shared.infra.http import http_server
from shared.infra.kafka import ensure_topics
from shared.infra.service import Service, run

SHIPMENTS = int(os.environ.get("BENCH_POLLER_SHIPMENTS", "600"))
WINDOW = float(os.environ.get("BENCH_POLLER_SECONDS", "10"))
ECONOMY_SCALE = 14_400.0
"""Four emulated hours per real second for the lifecycle runs."""
DELIVERED = (
    Scenario.ON_TIME,
    Scenario.LATE,
    Scenario.DISPUTED,
    Scenario.EXCEPTION_THEN_DELIVERED,
    Scenario.PICKUP,
)
PER_SCENARIO = 5
CONCURRENCY = {"ups": 16, "fedex": 4}
SERIALS = itertools.count(1)
POLLED_STATUSES = (
    "pending",
    "label_created",
    "in_transit",
    "out_for_delivery",
    "delivery_attempted",
    "available_for_pickup",
    "exception",
)


class Counting(httpx.AsyncBaseTransport):
    """The real transport, counting tracking calls per tracking number (UPS paths)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.calls: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/api/track/v1/details/"):
            self.calls[path.rsplit("/", 1)[-1]] += 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@contextlib.asynccontextmanager
async def _emulator(scale: float) -> AsyncIterator[tuple[str, ScaledClock]]:
    settings = EmulatorSettings(port=free_port(), clock_scale=scale, retry_after=0)
    clock = ScaledClock(scale)
    server = http_server(build_emulator(settings, clock), "127.0.0.1", settings.port)
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    await _wait(started, 10)
    try:
        yield f"http://127.0.0.1:{settings.port}", clock
    finally:
        server.should_exit = True
        await serving


@contextlib.asynccontextmanager
async def _database(infra: Infra) -> AsyncIterator[str]:
    name = f"bench_poller_{uuid.uuid4().hex[:8]}"
    base, _, _ = infra.database_url.rpartition("/")
    admin = await asyncpg.connect(infra.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


_CREDENTIALS: dict[str, dict[str, Any]] = {
    "ups": {"client_id": "bench", "client_secret": "secret"},
    "fedex": {"api_key": "bench", "secret_key": "secret"},
}


def _settings(
    infra: Infra, database_url: str, url: str, scale: float, carrier: str, **overrides: Any
) -> PollerSettings:
    """Settings polling only ``carrier``, on the emulator at ``url``, without rate limits."""
    polled = registry()[carrier].settings(
        base_url=url, rate_limit="", concurrency=CONCURRENCY[carrier], **_CREDENTIALS[carrier]
    )
    values: dict[str, Any] = {
        "database_url": database_url,
        "database_pool_max": 24,
        "kafka_bootstrap_servers": infra.bootstrap_servers,
        "kafka_enable_idempotence": not infra.embedded_broker,
        "kafka_topic_prefix": f"bench_{uuid.uuid4().hex[:8]}.",
        "http_port": free_port(),
        "log_level": "WARNING",
        "clock_scale": scale,
        "idle_interval": 0.05,
        "carriers": {carrier: polled},
        **overrides,
    }
    return PollerSettings(**values)


async def _register(settings: PollerSettings, carrier: str, numbers: Sequence[str]) -> list[str]:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, linger_ms=5)
    await producer.start()
    try:
        sent = []
        for number in numbers:
            data = ShipmentRegistered(
                order_id=f"o-{uuid.uuid4().hex[:12]}",
                shipment_id=f"sh-{uuid.uuid4().hex[:12]}",
                carrier=carrier,
                tracking_number=number,
                registered_at=datetime.now(UTC),
            )
            event = new_event(data, "bench")
            sent.append(
                await producer.send(settings.topic(topics.ORDERS), event.to_json(), key=event.key)
            )
        await asyncio.gather(*sent)
        return list(numbers)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def _running(service: Service) -> AsyncIterator[Service]:
    stop = asyncio.Event()
    task = asyncio.create_task(run(service, stop))
    try:
        yield service
    finally:
        stop.set()
        await task


async def _wait(condition: Any, seconds: float = 300.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.1)


def _polls(service: Service, carrier: str) -> float:
    total = 0.0
    for result in ("updated", "unchanged", "not_found", "invalid", "failed"):
        value = service.metrics.registry.get_sample_value(
            "parcelwatch_poller_polls_total", {"carrier": carrier, "result": result}
        )
        total += value or 0.0
    return total


async def _poller_rate(infra: Infra, url: str, clock: ScaledClock, carrier: str) -> float:
    """Shipments refreshed per second by the poller, every shipment always due."""
    every = timedelta(seconds=1)  # emulated: a shipment is due again at once
    intervals = {f"interval_{s}": every for s in POLLED_STATUSES}
    async with _database(infra) as database_url:
        settings = _settings(
            infra,
            database_url,
            url,
            clock.scale,
            carrier,
            backoff_ratio=0.0,
            max_interval=every,
            watch_interval=every,
            watch_window=timedelta(days=3650),
            **intervals,
        )
        await ensure_topics(settings, topics.all_with_dead_letters())
        numbers = [number_for(carrier, Scenario.ON_TIME, next(SERIALS)) for _ in range(SHIPMENTS)]
        service = await build_app(settings, PollerDeps(clock=clock))
        async with _running(service):
            await _register(settings, carrier, numbers)

            async def all_polled() -> bool:
                polled = await service.pool.fetchval(
                    "SELECT count(*) FROM shipments WHERE polled_at IS NOT NULL"
                )
                return bool(polled == SHIPMENTS)

            await _wait(all_polled)
            before, started = _polls(service, carrier), time.perf_counter()
            await asyncio.sleep(WINDOW)
            return (_polls(service, carrier) - before) / (time.perf_counter() - started)


async def _bare_rate(url: str, carrier: str) -> float:
    """Shipments refreshed per second by a bare httpx loop with the same concurrency."""
    numbers = [number_for(carrier, Scenario.ON_TIME, next(SERIALS)) for _ in range(SHIPMENTS)]
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        if carrier == "ups":
            token = (
                await http.post(
                    "/security/v1/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=("bench", "secret"),
                )
            ).json()["access_token"]
            batches = [[n] for n in numbers]
        else:
            token = (
                await http.post(
                    "/oauth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": "bench",
                        "client_secret": "secret",
                    },
                )
            ).json()["access_token"]
            batches = [numbers[i : i + 30] for i in range(0, len(numbers), 30)]
        headers = {"Authorization": f"Bearer {token}", "transId": "bench", "transactionSrc": "b"}
        refreshed = 0
        deadline = time.perf_counter() + WINDOW
        work = itertools.cycle(batches)

        async def loop() -> None:
            nonlocal refreshed
            while time.perf_counter() < deadline:
                batch = next(work)
                if carrier == "ups":
                    response = await http.get(f"/api/track/v1/details/{batch[0]}", headers=headers)
                else:
                    body = {
                        "includeDetailedScans": True,
                        "trackingInfo": [
                            {"trackingNumberInfo": {"trackingNumber": n}} for n in batch
                        ],
                    }
                    response = await http.post(
                        "/track/v1/trackingnumbers", json=body, headers=headers
                    )
                response.raise_for_status()
                refreshed += len(batch)

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(CONCURRENCY[carrier])))
        return refreshed / (time.perf_counter() - started)


async def _calls_per_lifecycle(
    infra: Infra, url: str, clock: ScaledClock, fixed: bool
) -> dict[Scenario, float]:
    """Mean UPS calls per shipment, registration to the end of the watch window."""
    hour = timedelta(hours=1)
    policy: dict[str, Any] = {}
    if fixed:
        policy = {f"interval_{s}": hour for s in POLLED_STATUSES} | {
            "backoff_ratio": 0.0,
            "max_interval": hour,
            "watch_interval": hour,
        }
    transport = Counting()
    async with _database(infra) as database_url:
        # Claim often: an idle wait of 2 ms is 29 emulated seconds late at most.
        settings = _settings(
            infra, database_url, url, clock.scale, "ups", idle_interval=0.002, **policy
        )
        await ensure_topics(settings, topics.all_with_dead_letters())
        numbers = {
            number_for("ups", scenario, next(SERIALS)): scenario
            for scenario in DELIVERED
            for _ in range(PER_SCENARIO)
        }
        service = await build_app(settings, PollerDeps(clock=clock, transport=transport))
        async with _running(service):
            await _register(settings, "ups", list(numbers))

            async def all_done() -> bool:
                done = await service.pool.fetchval(
                    "SELECT count(*) FROM shipments WHERE lifecycle = 'done'"
                )
                return bool(done == len(numbers))

            await _wait(all_done)
    return {
        scenario: statistics.mean(transport.calls[n] for n, s in numbers.items() if s is scenario)
        for scenario in DELIVERED
    }


async def _main() -> None:
    with infrastructure() as infra:
        async with _emulator(3600.0) as (url, clock):
            for carrier in ("ups", "fedex"):
                bare = await _bare_rate(url, carrier)
                poller = await _poller_rate(infra, url, clock, carrier)
                print(
                    f"{carrier} throughput ({SHIPMENTS} shipments, concurrency "
                    f"{CONCURRENCY[carrier]}): poller {poller:.0f} shipments/s, bare httpx "
                    f"{bare:.0f} shipments/s, ratio {poller / bare:.2f}",
                    flush=True,
                )
        async with _emulator(ECONOMY_SCALE) as (url, clock):
            ours, fixed = await asyncio.gather(
                _calls_per_lifecycle(infra, url, clock, fixed=False),
                _calls_per_lifecycle(infra, url, clock, fixed=True),
            )
        print("UPS calls per delivered shipment (to the end of the 48 h watch window):")
        print(f"  {'scenario':26} {'policy':>7} {'fixed 1 h':>9} {'ratio':>6}")
        for scenario in DELIVERED:
            ratio = ours[scenario] / fixed[scenario]
            print(f"  {scenario:26} {ours[scenario]:7.1f} {fixed[scenario]:9.1f} {ratio:6.2f}")
        mean_ours, mean_fixed = statistics.mean(ours.values()), statistics.mean(fixed.values())
        print(
            f"  {'mean':26} {mean_ours:7.1f} {mean_fixed:9.1f} {mean_ours / mean_fixed:6.2f}",
            flush=True,
        )


def main() -> None:
    """Run both benchmarks and print the figures."""
    logging.getLogger("services.poller.entrypoint").setLevel(logging.ERROR)  # carriers left out
    asyncio.run(_main())
