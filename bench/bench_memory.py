"""Memory: RSS of each service process while it consumes ``BENCH_MEMORY_EVENTS`` events
(1,000,000 by default) of its input topics; flat means no growth after warm-up.

Each service runs as in production (``python -m parcelwatch.cli run <service>``, its own
process) on the embedded broker and PostgreSQL (or ``KAFKA_BOOTSTRAP_SERVERS`` /
``DATABASE_URL``). Its input is produced beforehand with a bare aiokafka producer, as
order stories of many orders, so that every handler does its real work:
- poller: ``shipment.registered`` (four carriers, valid numbers; the carrier emulator
  answers the polls that follow);
- sla: placed, confirmed, registered, then two scans and two status changes per order;
- notifier: placed, confirmed, three status changes per order and a ship-by breach for
  every tenth (e-mails go to the local mail capture).
RSS (psutil) and the service's own ``messages_consumed_total`` are sampled every second;
the table shows RSS at each tenth of the run. The baseline is RSS at the first tenth
(warm-up): growth is the last tenth's RSS over it.

``make bench BENCH=memory``: every service, one after another, each on a fresh broker and
database; ``BENCH_MEMORY_SERVICES=sla,notifier`` chooses some.
"""

import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil  # type: ignore[import-untyped]
from aiokafka import AIOKafkaProducer

from bench.infra import Infra, infrastructure
from bench.stack import consumed
from parcelwatch.dev.emulator.scenarios import Scenario, number_for
from parcelwatch.dev.stack.processes import free_port, wait_for_port
from shared.contracts import topics
from shared.contracts.envelope import new_event
from shared.contracts.events import (
    EventData,
    MissingShipment,
    OrderConfirmed,
    Severity,
    ShipmentRegistered,
    SlaShipByMissed,
    TrackingEvent,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus
from shared.infra.kafka import ensure_topics
from shared.infra.settings import KafkaSettings
from tests.support.events import order_placed

EVENTS = int(os.environ.get("BENCH_MEMORY_EVENTS", "1000000"))
SERVICES = os.environ.get("BENCH_MEMORY_SERVICES", "poller,sla,notifier").split(",")
CARRIERS = ("ups", "fedex", "usps", "dhl")
SAMPLE_SECONDS = 1.0
STALL_SECONDS = 300.0
"""Give up when the consumed count has not moved for this long."""

Story = Callable[[int, datetime], Iterator[tuple[str, EventData]]]


def _parcel(n: int) -> dict[str, str]:
    carrier = CARRIERS[n % len(CARRIERS)]
    return {
        "shipment_id": f"sh-{n}",
        "carrier": carrier,
        "tracking_number": number_for(carrier, Scenario.ON_TIME, n % 9_999_999),
    }


def _orders(n: int, at: datetime) -> Iterator[tuple[str, EventData]]:
    placed = order_placed(f"o-{n}").model_copy(update={"placed_at": at})
    yield topics.ORDERS, placed
    yield topics.ORDERS, OrderConfirmed(**placed.model_dump(), confirmed_at=at)


def _change(n: int, before: TrackingStatus, after: TrackingStatus, at: datetime) -> EventData:
    return TrackingStatusChanged(
        order_id=f"o-{n}",
        previous_status=before,
        status=after,
        carrier_code=after.value[:2].upper(),
        description=after.value.replace("_", " "),
        occurred_at=at,
        estimated_delivery=date.today() + timedelta(days=2),
        **_parcel(n),
    )


def _poller_story(n: int, at: datetime) -> Iterator[tuple[str, EventData]]:
    yield topics.ORDERS, ShipmentRegistered(order_id=f"o-{n}", registered_at=at, **_parcel(n))


def _sla_story(n: int, at: datetime) -> Iterator[tuple[str, EventData]]:
    yield from _orders(n, at)
    yield from _poller_story(n, at)
    for step, status in enumerate((TrackingStatus.IN_TRANSIT, TrackingStatus.DELIVERED)):
        scanned = at + timedelta(hours=step + 1)
        yield (
            topics.TRACKING,
            TrackingEvent(
                order_id=f"o-{n}",
                fingerprint=f"bench:{n}:{step}",
                status=status,
                carrier_code=status.value[:2].upper(),
                description=status.value.replace("_", " "),
                occurred_at=scanned,
                observed_at=scanned,
                **_parcel(n),
            ),
        )
        before = TrackingStatus.LABEL_CREATED if step == 0 else TrackingStatus.IN_TRANSIT
        yield topics.TRACKING, _change(n, before, status, scanned)


def _notifier_story(n: int, at: datetime) -> Iterator[tuple[str, EventData]]:
    yield from _orders(n, at)
    if n % 10 == 0:
        yield (
            topics.SLA,
            SlaShipByMissed(
                order_id=f"o-{n}",
                seller_id="s-1",
                detected_at=at,
                severity=Severity.OPS,
                deadline=at,
                missing=MissingShipment.NEVER_SCANNED,
            ),
        )
    statuses = (
        TrackingStatus.LABEL_CREATED,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    )
    for step, (before, after) in enumerate(itertools.pairwise(statuses)):
        yield topics.TRACKING, _change(n, before, after, at + timedelta(hours=step + 1))


STORIES: dict[str, Story] = {
    "poller": _poller_story,
    "sla": _sla_story,
    "notifier": _notifier_story,
}


async def _produce(bootstrap: str, story: Story, count: int) -> None:
    """``count`` events of ``story``'s orders, keyed by order id, as fast as the broker takes."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks=1)
    await producer.start()
    try:
        at = datetime.now(UTC) - timedelta(hours=2)
        sent = 0
        order = 0
        pending = []
        while sent < count:
            for topic, data in story(order, at):
                if sent == count:
                    break
                key = data.order_id.encode()
                value = new_event(data, "bench").to_json()
                pending.append(await producer.send(topic, value, key=key))
                sent += 1
            order += 1
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


@dataclass(frozen=True)
class Sample:
    seconds: float
    consumed: int
    rss: int


def _helpers(tmp: Path, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    """The carrier emulator (for the poller) and the mail capture (for the notifier)."""
    emulator, smtp, inbox = free_port(), free_port(), free_port()
    env.update({f"{c.upper()}_BASE_URL": f"http://127.0.0.1:{emulator}" for c in CARRIERS})
    env.update(
        {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp),
            "SMTP_SECURITY": "none",
            "NOTIFIER_CHAT_WEBHOOK_URL": f"http://127.0.0.1:{inbox}/chat",
        }
    )
    command = [sys.executable, "-m", "parcelwatch.cli", "dev"]
    mail = ["--folder", str(tmp / "mail"), "--smtp-port", str(smtp), "--http-port", str(inbox)]
    log = open(tmp / "helpers.log", "ab")  # noqa: SIM115 - closed with the process
    helpers = [
        subprocess.Popen(
            [*command, "carriers", "--port", str(emulator)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [*command, "mail", *mail],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
    ]
    wait_for_port("127.0.0.1", emulator, timeout=30, process=helpers[0])
    wait_for_port("127.0.0.1", inbox, timeout=30, process=helpers[1])
    return helpers


def _env(infra: Infra, service: str, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": infra.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "KAFKA_ENABLE_IDEMPOTENCE": "false" if infra.embedded_broker else "true",
        f"{service.upper()}_HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "DHL_API_KEY": "emulator",
        "FEDEX_API_KEY": "emulator",
        "FEDEX_SECRET_KEY": "emulator",
    }
    for name in ("UPS_CLIENT_ID", "UPS_CLIENT_SECRET", "USPS_CLIENT_ID", "USPS_CLIENT_SECRET"):
        env[name] = "emulator"
    return env


def _measure(service: str, infra: Infra, tmp: Path) -> list[Sample]:
    """Run ``service`` until it consumed ``EVENTS``; the RSS samples along the way."""
    port = free_port()
    env = _env(infra, service, port)
    helpers = _helpers(tmp, env)
    log = open(tmp / f"{service}.log", "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "parcelwatch.cli", "run", service],
        env=env,
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    samples: list[Sample] = []
    try:
        wait_for_port("127.0.0.1", port, timeout=60, process=process)
        base = f"http://127.0.0.1:{port}"
        memory = psutil.Process(process.pid)
        started = time.monotonic()
        moved = started
        while not samples or samples[-1].consumed < EVENTS:
            if process.poll() is not None:
                raise RuntimeError(f"{service} exited; see {tmp / (service + '.log')}")
            count = consumed(base, service)
            now = time.monotonic()
            if samples and count > samples[-1].consumed:
                moved = now
            if now - moved > STALL_SECONDS:
                raise RuntimeError(f"{service} stalled at {count} events")
            samples.append(Sample(now - started, count, memory.memory_info().rss))
            time.sleep(SAMPLE_SECONDS)
    finally:
        for child in (process, *helpers):
            child.terminate()
        for child in (process, *helpers):
            child.wait(timeout=60)
        log.close()
    return samples


def _report(service: str, samples: list[Sample]) -> None:
    def at(fraction: float) -> Sample:
        return next(s for s in samples if s.consumed >= fraction * EVENTS)

    mib = 1024 * 1024
    last = samples[-1]
    print(f"{service}: {EVENTS:,} events in {last.seconds:.0f} s", flush=True)
    print(f"  {'events':>10}  {'RSS MiB':>8}")
    for tenth in range(1, 11):
        sample = at(tenth / 10)
        print(f"  {sample.consumed:>10,}  {sample.rss / mib:>8.1f}")
    warm, end = at(0.1), at(1.0)
    peak = max(s.rss for s in samples if s.consumed >= warm.consumed)
    print(
        f"  after warm-up {warm.rss / mib:.1f} MiB, at the end {end.rss / mib:.1f} MiB, "
        f"peak {peak / mib:.1f} MiB, growth {(end.rss - warm.rss) / mib:+.1f} MiB "
        f"({(end.rss / warm.rss - 1) * 100:+.1f}%), {EVENTS / last.seconds:,.0f} events/s",
        flush=True,
    )


def main() -> None:
    for service in SERVICES:
        with infrastructure() as infra, tempfile.TemporaryDirectory(prefix="pw-mem-") as tmp:
            kafka = KafkaSettings(
                kafka_bootstrap_servers=infra.bootstrap_servers,
                kafka_enable_idempotence=not infra.embedded_broker,
            )
            asyncio.run(ensure_topics(kafka, topics.all_with_dead_letters()))
            started = time.perf_counter()
            asyncio.run(_produce(infra.bootstrap_servers, STORIES[service], EVENTS))
            print(f"{service}: produced {EVENTS:,} events in {time.perf_counter() - started:.0f} s")
            _report(service, _measure(service, infra, Path(tmp)))


if __name__ == "__main__":
    main()
