"""The broker paused (SIGSTOP 30 s, SIGCONT) and the broker restarted empty, during a run.

Paused: the services stay up (no restart by ``dev up``), ``/readyz`` turns red while the
broker does not answer and green after, and the final state holds: the accounting finds
every message, SLA event and status move the inputs call for, once.

Restarted: the embedded broker keeps everything in memory, so a restart loses every
topic, record and committed offset (unlike Apache Kafka, whose log survives a restart).
Each service's topic guard must notice, recreate the topics and have its outbox
republish; the consumers resume from the earliest offset of the new topics, the
inboxes drop what was already processed. What cannot come back is input from an outside
producer (the simulator) that was on the broker and some consumer had not processed yet,
or that it wrote while the topics were being recreated: the orders it concerns are "at
risk", and only their messages, SLA events and status moves may be lost (or unexpected:
an ``order.confirmed`` lost leaves an order unconfirmed), each named. Once with the
consumers caught up, once with the sla service paused (SIGSTOP) before the restart, so that
a backlog is lost and the bound is seen to name it.

Like Apache Kafka with ``auto.create.topics.enable`` (its default), the embedded broker
creates a topic a client asks metadata for by name, with 4 partitions (Kafka:
``num.partitions``, default 1). Unlike Apache Kafka, it acknowledges a write to a
partition the topic does not have (Kafka answers UNKNOWN_TOPIC_OR_PARTITION and the
client refreshes its metadata) and no reader ever sees it; and it has no
CreatePartitions. A producer that still believes in 6 partitions would so lose records:
the guard replaces such a narrow topic with one of the configured width (delete,
create), and the outbox republishes. Restarting needs the embedded broker: the test skips
against an external Kafka.
"""

import asyncio
import contextlib
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts import topics
from shared.contracts.events import DeliveryDisputed, DisputeDocumentsReceived, DisputeResolved
from tests.faults.accounting import expect_simulated, simulated
from tests.faults.harness import (
    HANDLES,
    RESULTS,
    SERVICES,
    DevStack,
    Summary,
    check_final_state,
    simulate,
)
from tests.faults.infra_faults import (
    broker_process,
    in_flight,
    paused,
    ready,
    restart_broker,
    service_pids,
    start_stack,
    wait_for,
    wait_started,
)

ORDERS = 16  # the first 16 simulator stories (of 20) once
ORDERS_PER_MINUTE = 240.0
PAUSE = 30.0
LOSSES = "parcelwatch_{}_broker_data_losses_total"
CHECKS = "parcelwatch_{}_topic_checks_total"
BURST = sum(
    1
    for data in simulated(ORDERS)
    if not isinstance(data, DeliveryDisputed | DisputeDocumentsReceived | DisputeResolved)
)
"""The simulator's events before the first dispute: orders, confirmations, shipments."""
PARTITIONS = 6  # KAFKA_TOPIC_PARTITIONS of the stack


def _embedded_stack(tmp_path: Path) -> DevStack:
    stack = start_stack(tmp_path / "var")
    if stack.embedded_broker_pid() is None:
        stack.stop()
        pytest.skip("the stack uses an external Kafka: the test cannot pause or restart it")
    return stack


@pytest.mark.long
def test_broker_paused_30_s_services_wait_and_lose_nothing(tmp_path: Path) -> None:
    expected = expect_simulated(ORDERS)
    stack = _embedded_stack(tmp_path)
    try:
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        in_flight(stack)
        before = service_pids(stack)
        with paused(broker_process(stack)):
            stopped = time.monotonic()
            red = wait_for(
                "red while paused",
                lambda: not any(ready(stack, name) for name in SERVICES),
                PAUSE - 5,
            )
            assert all(stack.healthy(name) for name in SERVICES), "liveness must stay green"
            time.sleep(max(0.0, PAUSE - (time.monotonic() - stopped)))  # the pause's length
        green = wait_for("ready again", lambda: all(ready(stack, n) for n in SERVICES), 90)
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        final = asyncio.run(check_final_state(stack, expected))
        assert service_pids(stack) == before, "a service was restarted"
    finally:
        output = stack.stop()
    assert "restarting" not in output, output
    RESULTS.append(
        Summary(
            f"broker SIGSTOP {PAUSE:.0f} s",
            1,
            final.report.lost,
            final.report.duplicated,
            f"readyz red after {red:.1f} s, green {green:.1f} s after SIGCONT, "
            f"no restart; {final.note}",
        )
    )


async def _narrow_topics(stack: DevStack) -> list[str]:
    """Contract topics narrower than configured (the guard must have replaced them)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        return sorted(
            t["topic"]
            for t in await admin.describe_topics(None)
            if t["topic"] in {stack.topic(name) for name in topics.all_with_dead_letters()}
            and len(t["partitions"]) != PARTITIONS
        )
    finally:
        await admin.close()


async def _unprocessed_orders(
    stack: DevStack, *consumers: str, events: list[dict[str, Any]] | None = None
) -> set[str]:
    """Orders with an event on ``orders.v1`` (or among ``events``: what was there when the
    broker restarted) that one of ``consumers`` handles and has not processed."""
    if events is None:
        events = await stack.events_on(topics.ORDERS)
    gone = set()
    for consumer in consumers:
        types = HANDLES[(topics.ORDERS, consumer)]
        inbox = {
            r["event_id"]
            for r in await stack.fetch(
                f"SELECT event_id FROM {consumer}.inbox WHERE topic = $1",  # noqa: S608
                stack.topic(topics.ORDERS),
            )
        }
        gone |= {e["subject"] for e in events if e["type"] in types and e["id"] not in inbox}
    return gone


def _published_between(log: Path, start: datetime, end: datetime) -> set[str]:
    """Orders the simulator published an event of between ``start`` and ``end`` (local
    times of its log lines): written while the topics were being recreated."""
    orders = set()
    for line in log.read_text().splitlines():
        if line.startswith("{") and '"message": "published"' in line:
            entry = json.loads(line)
            at = datetime.strptime(entry["time"], "%Y-%m-%d %H:%M:%S,%f")
            if start <= at <= end:
                orders.add(entry["order_id"])
    return orders


@pytest.mark.long
@pytest.mark.parametrize("behind", [None, "sla"], ids=["caught-up", "sla-behind"])
def test_broker_restarted_empty_services_recreate_topics_and_republish(
    tmp_path: Path, behind: str | None
) -> None:
    """``behind``: a service paused before the restart until input it has not processed is
    on the broker when it loses everything."""
    expected = expect_simulated(ORDERS)
    stack = _embedded_stack(tmp_path)
    restarted = None
    try:
        wait_started(stack)
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE / 4)  # the burst over 16 s
        # Every topic guard must have looked at topics with records on them, or a broker
        # restarted empty looks to it like topics that were empty anyway.
        wait_for("orders on the broker", lambda: _published(stack) >= 4, 60)
        looks = {s: stack.metric(s, CHECKS.format(s)) for s in SERVICES}
        wait_for(
            "every topic guard looking again",
            lambda: all(stack.metric(s, CHECKS.format(s)) > looks[s] for s in SERVICES),
            60,
        )
        before = service_pids(stack)
        with contextlib.ExitStack() as frozen:
            if behind is not None:
                frozen.enter_context(paused(psutil.Process(before[behind])))
            # The restart comes between the simulator's first burst (orders, confirmations,
            # shipments) and the disputes, days of emulated time later.
            wait_for("the first burst published", lambda: _published(stack) >= BURST, 60)
            if behind is None:
                wait_for("consumers caught up", lambda: not asyncio.run(stack.consumer_lag()), 60)
            else:
                assert asyncio.run(_unprocessed_orders(stack, behind)), "no backlog to lose"
            with paused(psutil.Process(simulator.pid)):
                on_old_broker = asyncio.run(stack.events_on(topics.ORDERS))
                restart_at = datetime.now()
                restarted = restart_broker(stack, stack.var / "broker-restarted.log")
        detected = wait_for(
            "the loss detected by every service",
            lambda: all(stack.metric(s, LOSSES.format(s)) >= 1 for s in SERVICES),
            90,
        )
        wait_for("topics as wide as configured", lambda: not asyncio.run(_narrow_topics(stack)), 90)
        recovered_at = datetime.now()
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        asyncio.run(stack.wait_quiet(timeout=360))
        # What a consumer had not processed when the broker restarted is gone.
        at_risk = asyncio.run(_unprocessed_orders(stack, *SERVICES, events=on_old_broker))
        backlog = len(at_risk)
        at_risk |= _published_between(stack.var / "simulate.log", restart_at, recovered_at)
        final = asyncio.run(
            check_final_state(
                stack,
                expected,
                republished=None,  # each outbox publishes everything again, relay running
                at_risk=frozenset(at_risk),
                broker_restarted=True,
            )
        )
        narrow = asyncio.run(_narrow_topics(stack))
        assert service_pids(stack) == before, "a service was restarted"
    finally:
        output = stack.stop()
        if restarted is not None:
            restarted.stop()
    assert not narrow, f"topics left narrower than {PARTITIONS} partitions: {narrow}"
    assert "restarting" not in output, output
    if behind is not None:
        assert backlog > 0, "nothing waited for sla: no backlog tested"
    lost = sorted({k[0] for tally in final.report.parts for k in tally.lost})
    RESULTS.append(
        Summary(
            "broker restarted empty" + (f", {behind} behind" if behind else ""),
            1,
            final.report.lost,
            final.report.duplicated,
            f"detected in {detected:.1f} s, no restart; {len(at_risk)} orders at risk "
            f"({backlog} with unprocessed input on the broker), losses in {lost}; "
            f"{final.note}",
        )
    )


def _published(stack: DevStack) -> int:
    return (stack.var / "simulate.log").read_text().count('"message": "published"')
