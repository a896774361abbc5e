"""Latency from a parcel's status change at the carrier to the e-mail accepted by the SMTP
capture, p50/p99, at a low and a high order rate, by polling and by carrier push.

Polling: ``on_time`` parcels of the four carriers, one new order a tick. The benchmark asks
the emulator about each number just before registering it, so the lifecycle starts at a
known real instant ``t`` and each status change happens at ``t + hours * 3600 / scale``:
picked up (in transit) at h6 sends ``customer_shipped``, out for delivery at h64 sends
``customer_out_for_delivery`` (switched on here). The detection part is the poller's own
observation time of that scan minus the change.

Push: UPS parcels whose carrier shows only a label (so polls never see them move); the
benchmark posts a Track Alert "picked up" to the poller's webhook at the tick and measures
to the ``customer_shipped`` e-mail.

Baseline: one bare aiokafka hop (produce, then a consumer in a group sees it) at the same
rate, with records of the size of an ``orders.v1`` event, on the same broker.
"""

import asyncio
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.infra import Infra, infrastructure
from bench.stack import (
    CarrierProbe,
    Order,
    PipelineStack,
    captured,
    notifications,
    order_events,
    order_service,
    percentile,
    pipeline_stack,
    publish,
    shipped_orders,
)
from parcelwatch.dev.emulator.scenarios import Scenario
from services.poller.carriers.ups.webhook import PATH as TRACK_ALERT
from shared.contracts import topics
from shared.infra.kafka import ensure_topics
from shared.infra.settings import KafkaSettings

SCALE = float(os.environ.get("BENCH_LATENCY_CLOCK_SCALE", "3600"))
RATES = (
    float(os.environ.get("BENCH_LATENCY_LOW_RATE", "2")),
    float(os.environ.get("BENCH_LATENCY_HIGH_RATE", "20")),
)
SECONDS = float(os.environ.get("BENCH_LATENCY_SECONDS", "15"))
HOOK_KEY = "bench-hook"
CHANGES = {
    "customer_shipped": ("in_transit", 6.0),
    "customer_out_for_delivery": ("out_for_delivery", 64.0),
}
"""E-mail kind → the status change that sends it and its hour in the ``on_time`` script."""


@dataclass(frozen=True)
class Latencies:
    """Seconds from status change to captured e-mail, and of its parts: detection (change to
    the poller storing the scan), handoff (to the notifier's row: outbox, Kafka, sla/notifier
    intake), send (to the capture accepting it)."""

    total: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)

    def add(self, total: float, **parts: float) -> None:
        self.total.append(total)
        for name, value in parts.items():
            self.parts.setdefault(name, []).append(value)

    def line(self) -> str:
        text = f"p50 {_ms(percentile(self.total, 0.5))}  p99 {_ms(percentile(self.total, 0.99))}"
        inner = ", ".join(
            f"{name} {_ms(percentile(values, 0.5))}/{_ms(percentile(values, 0.99))}"
            for name, values in self.parts.items()
        )
        return f"{text}  n={len(self.total)}" + (f"  [p50/p99 {inner}]" if inner else "")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


async def _every(rate: float, count: int, act: Callable[[int], Awaitable[None]]) -> float:
    """``act(i)`` at ``rate`` per second, ``count`` times, on a fixed schedule; returns the
    rate achieved (lower when ``act`` takes longer than a tick)."""
    started = time.monotonic()
    for i in range(count):
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        await act(i)
    return (count - 1) / (time.monotonic() - started) if count > 1 else rate


async def _polled(stack: PipelineStack, rate: float) -> dict[str, Latencies]:
    orders = shipped_orders(f"poll-{uuid.uuid4().hex[:6]}", round(rate * SECONDS), Scenario.ON_TIME)
    began: dict[str, float] = {}
    async with CarrierProbe(stack) as probe, order_service(stack) as producer:

        async def place(i: int) -> None:
            order = orders[i]
            assert order.carrier and order.tracking_number
            before = time.time()
            await probe.ask(order.carrier, order.tracking_number)
            began[order.order_id] = (before + time.time()) / 2
            for event in order_events(order, stack.clock.now()):
                await producer.send_and_wait(
                    stack.kafka.topic(topics.ORDERS), event.to_json(), key=event.key
                )

        achieved = await _every(rate, len(orders), place)
    print(f"  polling: {len(orders)} orders fed at {achieved:.1f}/s")
    last_change = max(CHANGES.values(), key=lambda c: c[1])[1] * 3600 / SCALE
    await _wait_for(stack, len(CHANGES) * len(orders), within=last_change + 180)
    return await _measure(
        stack, lambda order_id, kind: began[order_id] + CHANGES[kind][1] * 3600 / SCALE
    )


async def _measure(
    stack: PipelineStack, change_of: Callable[[str, str], float]
) -> dict[str, Latencies]:
    """Latencies of every captured e-mail; ``change_of(order, kind)`` is the real instant
    of the status change that sent it."""
    observed = await _observed(stack)
    created = await _created(stack)
    rows = await notifications(stack)
    results: dict[str, Latencies] = {}
    others: Counter[str] = Counter()
    for mid, ns in captured(stack).items():
        order_id, kind = rows[mid]
        if kind not in CHANGES:
            others[kind] += 1
            continue
        change = change_of(order_id, kind)
        seen = stack.real_time(observed[order_id, CHANGES[kind][0]]).timestamp()
        made = stack.real_time(created[order_id, kind]).timestamp()
        results.setdefault(kind, Latencies()).add(
            ns / 1e9 - change, detection=seen - change, handoff=made - seen, send=ns / 1e9 - made
        )
    if others:
        print(f"  also sent (not measured): {dict(others)}")
    return results


async def _wait_for(stack: PipelineStack, count: int, within: float) -> None:
    """Until ``count`` e-mails of the measured kinds are captured."""
    deadline = time.monotonic() + within
    while True:
        rows = await notifications(stack)
        seen = sum(1 for mid in captured(stack) if mid in rows and rows[mid][1] in CHANGES)
        if seen >= count:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{seen} of {count} e-mails after {within:.0f} s")
        await asyncio.sleep(0.5)


async def _created(stack: PipelineStack) -> dict[tuple[str, str], datetime]:
    """(order, kind) → when the notifier recorded the message to send (its clock)."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch("SELECT order_id, kind, created_at FROM notifier.notifications")
    finally:
        await conn.close()
    return {(r["order_id"], r["kind"]): r["created_at"] for r in rows}


async def _observed(stack: PipelineStack) -> dict[tuple[str, str], datetime]:
    """(order, status) → when the poller first observed a scan of that status (its clock)."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            """
            SELECT s.order_id, c.status, min(c.observed_at) AS observed_at
            FROM poller.scans c JOIN poller.shipments s USING (shipment_id)
            GROUP BY s.order_id, c.status
            """
        )
    finally:
        await conn.close()
    return {(r["order_id"], r["status"]): r["observed_at"] for r in rows}


async def _pushed(stack: PipelineStack, rate: float) -> dict[str, Latencies]:
    orders = shipped_orders(
        f"push-{uuid.uuid4().hex[:6]}", round(rate * SECONDS), Scenario.LABEL_ONLY, ("ups",)
    )
    await publish(stack, [e for o in orders for e in order_events(o, stack.clock.now())])
    await _until_registered(stack, len(orders))
    posted: dict[str, float] = {}
    answers: list[asyncio.Task[httpx.Response]] = []
    async with httpx.AsyncClient(base_url=stack.service_url("poller"), timeout=60) as http:

        async def push(i: int) -> None:
            order = orders[i]
            posted[order.order_id] = time.time()
            body = _picked_up(order, stack.clock.now())
            answers.append(
                asyncio.create_task(
                    http.post(TRACK_ALERT, json=body, headers={"x-api-key": HOOK_KEY})
                )
            )

        achieved = await _every(rate, len(orders), push)
        print(f"  push: {len(orders)} alerts posted at {achieved:.1f}/s")
        for answer in await asyncio.gather(*answers):
            if answer.json() != {"accepted": 1}:
                raise AssertionError(
                    f"Track Alert not accepted: {answer.status_code} {answer.text}"
                )
    await _wait_for(stack, len(orders), within=180)
    return await _measure(stack, lambda order_id, _: posted[order_id])


def _picked_up(order: Order, now: datetime) -> dict[str, Any]:
    """A UPS Track Alert: the parcel was picked up, now."""
    return {
        "trackingNumber": order.tracking_number,
        "gmtActivityDate": now.strftime("%Y%m%d"),
        "gmtActivityTime": now.strftime("%H%M%S"),
        "activityLocation": {"city": "Los Angeles", "stateProvince": "CA", "country": "US"},
        "activityStatus": {
            "type": "I",
            "code": "OC",
            "description": "Origin Scan",
            "descriptionCode": "005",
        },
    }


async def _until_registered(stack: PipelineStack, count: int, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    conn = await asyncpg.connect(stack.database_url)
    try:
        while await conn.fetchval("SELECT count(*) FROM poller.shipments") < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"fewer than {count} shipments registered after {within:.0f} s")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def _hop(kafka: KafkaSettings, rate: float) -> Latencies:
    """Produce→consume latency of one bare aiokafka hop at ``rate`` records per second."""
    base = KafkaSettings.model_validate(
        {**kafka.model_dump(), "kafka_topic_prefix": f"{kafka.kafka_topic_prefix}hop-"}
    )
    await ensure_topics(base, (topics.ORDERS,))
    topic = base.topic(topics.ORDERS)
    sample = order_events(shipped_orders("hop", 1, Scenario.ON_TIME)[0], datetime.now(UTC))[0]
    value = sample.to_json()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.kafka_bootstrap_servers,
        group_id=f"bench-hop-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.kafka_bootstrap_servers,
        enable_idempotence=kafka.kafka_enable_idempotence,
        acks="all",
    )
    await consumer.start()
    await producer.start()
    count = round(rate * SECONDS)
    sent: dict[bytes, float] = {}
    latencies: list[float] = []
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)

        async def send(i: int) -> None:
            key = f"hop-{i}".encode()
            sent[key] = time.time()
            await producer.send(topic, value, key=key)

        sending = asyncio.create_task(_every(rate, count, send))
        while len(latencies) < count:
            for batch in (await consumer.getmany(timeout_ms=100)).values():
                now = time.time()
                latencies += [now - sent[r.key] for r in batch if r.key is not None]
                await consumer.commit()
        await sending
    finally:
        await producer.stop()
        await consumer.stop()
    return Latencies(latencies)


def _phase(
    infra: Infra, workdir: Path, rate: float, push: bool
) -> tuple[dict[str, Latencies], Latencies]:
    """One pipeline run (a fresh stack) at ``rate``, by push or by polling; and the bare
    hop on the same broker at the same rate."""
    env = {"NOTIFIER_NOTIFY_OUT_FOR_DELIVERY": "true", "UPS_WEBHOOK_CREDENTIAL": HOOK_KEY}
    with pipeline_stack(infra, workdir, scale=SCALE, env=env) as stack:
        hop = asyncio.run(_hop(stack.kafka, rate))
        result = asyncio.run(_pushed(stack, rate) if push else _polled(stack, rate))
    return result, hop


def _report(label: str, result: Latencies, hop: Latencies) -> None:
    ratio = percentile(result.total, 0.5) / percentile(hop.total, 0.5)
    print(f"  {label}: {result.line()}; p50 {ratio:.0f}x the bare hop's")


def main() -> None:
    print(
        f"clock x{SCALE:g}: poller intervals label_created PT3H = {3 * 3600 / SCALE:.1f} s, "
        f"in_transit PT2H = {2 * 3600 / SCALE:.1f} s, out_for_delivery PT20M = "
        f"{1200 / SCALE:.2f} s real (defaults; quiet parcels back off to 25% of quiet time)"
    )
    with infrastructure() as infra:
        for rate in RATES:
            print(f"{rate:g} orders/s for {SECONDS:g} s ({round(rate * SECONDS)} orders):")
            for push in (False, True):
                with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
                    result, hop = _phase(infra, Path(tmp), rate, push)
                for kind, latencies in result.items():
                    how = "push (UPS Track Alert)" if push else "poll"
                    _report(f"{how}: {CHANGES[kind][0]} → {kind}", latencies, hop)
                print(f"  bare aiokafka hop at the same rate: {hop.line()}")
