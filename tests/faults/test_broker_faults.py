"""The broker paused (SIGSTOP 30 s, SIGCONT) and the broker restarted empty, during a run.

Paused: the services stay up (no restart by ``dev up``), ``/readyz`` turns red while the
broker does not answer and green after, and the final state holds (0 lost, 0 duplicated).

Restarted: the embedded broker keeps everything in memory, so a restart loses every
topic, record and committed offset (unlike Apache Kafka, whose log survives a restart).
Each service's topic guard must notice, recreate the topics and have its outbox
republish; the consumers resume from the earliest offset of the new topics, the
inboxes drop what was already processed. What cannot come back is measured: the
``orders.v1`` events (from the simulator, an outside producer) that were on the broker
and some consumer had not processed yet: once with the consumers caught up, once with
the sla service paused (SIGSTOP) for a few seconds before the restart, so that a backlog
is lost and the measure is seen to count it.

Like Apache Kafka with ``auto.create.topics.enable`` (its default), the embedded broker
creates a topic a client asks metadata for by name, with 4 partitions (Kafka:
``num.partitions``, default 1). Unlike Apache Kafka, it acknowledges a write to a
partition the topic does not have (Kafka answers UNKNOWN_TOPIC_OR_PARTITION and the
client refreshes its metadata) and no reader ever sees it; and it has no
CreatePartitions. A producer that still believes in 6 partitions would so lose records:
the guard replaces such a narrow topic with one of the configured width (delete,
create), and the outbox republishes. Input the simulator wrote meanwhile to the narrow
topic is lost with it: the note counts every simulator event the sla service (which
handles every ``orders.v1`` type) never processed. Restarting needs the embedded broker:
the test skips against an external Kafka.
"""

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from services.notifier.headers import message_id
from shared.contracts import topics
from tests.faults.harness import (
    PRODUCES,
    RESULTS,
    SERVICES,
    DevStack,
    Summary,
    check_final_state,
    simulate,
)
from tests.faults.infra_faults import (
    broker_process,
    paused,
    ready,
    restart_broker,
    service_pids,
    start_stack,
    wait_for,
    wait_started,
)

ORDERS = 16  # every simulator story once
ORDERS_PER_MINUTE = 240.0
PAUSE = 30.0
LOSSES = "parcelwatch_{}_broker_data_losses_total"
GUARD_INTERVAL = 5.0  # KAFKA_TOPIC_CHECK_INTERVAL
BACKLOG = 8.0
PARTITIONS = 6  # KAFKA_TOPIC_PARTITIONS of the stack


def _embedded_stack(tmp_path: Path) -> DevStack:
    stack = start_stack(tmp_path / "var")
    if stack.embedded_broker_pid() is None:
        stack.stop()
        pytest.skip("the stack uses an external Kafka: the test cannot pause or restart it")
    return stack


def test_broker_paused_30_s_services_wait_and_lose_nothing(tmp_path: Path) -> None:
    stack = _embedded_stack(tmp_path)
    try:
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        time.sleep(8)  # orders in flight
        before = service_pids(stack)
        with paused(broker_process(stack)):
            stopped = time.monotonic()
            red = wait_for(
                "red while paused",
                lambda: not any(ready(stack, name) for name in SERVICES),
                PAUSE - 5,
            )
            assert all(stack.healthy(name) for name in SERVICES), "liveness must stay green"
            time.sleep(max(0.0, PAUSE - (time.monotonic() - stopped)))
        green = wait_for("ready again", lambda: all(ready(stack, n) for n in SERVICES), 90)
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        asyncio.run(stack.wait_quiet())
        report = asyncio.run(check_final_state(stack, max_duplicates=0))
        assert service_pids(stack) == before, "a service was restarted"
    finally:
        output = stack.stop()
    assert "restarting" not in output, output
    RESULTS.append(
        Summary(
            f"broker SIGSTOP {PAUSE:.0f} s",
            1,
            sum(report.lost.values()),
            report.duplicated,
            f"readyz red after {red:.1f} s, green {green:.1f} s after SIGCONT, "
            f"no restart; {report.note}",
        )
    )
    assert report.emails > 0


async def _check_after_loss(stack: DevStack, on_old_broker: list[dict[str, Any]]) -> dict[str, Any]:
    """The invariants after a broker restart; returns the measured figures."""
    rows = await stack.fetch("SELECT dedup_key, kind, state FROM notifier.notifications")
    unfinished = [dict(r) for r in rows if r["state"] not in ("sent", "skipped")]
    assert not unfinished, f"notifications not sent: {unfinished[:5]}"
    domain = stack.env.get("NOTIFIER_MESSAGE_ID_DOMAIN", "parcelwatch.invalid")
    sent = {
        message_id(r["dedup_key"], domain)
        for r in rows
        if r["state"] == "sent" and not r["kind"].startswith("ops_")
    }
    captured = stack.captured_message_ids()
    assert sent == set(captured), "emails lost or unexplained"
    duplicated = sum(n - 1 for n in captured.values())
    assert not duplicated, {mid: n for mid, n in captured.items() if n > 1}

    republished = 0
    on_topic: dict[str, list[dict[str, Any]]] = {}
    for producer, topic in PRODUCES.items():
        on_topic[topic] = await stack.events_on(topic)
        outbox = await stack.fetch(
            f"SELECT event_id, published_at FROM {producer}.outbox WHERE topic = $1",  # noqa: S608
            topic,
        )
        assert all(r["published_at"] is not None for r in outbox), f"{producer} unpublished"
        ids = {e["id"] for e in on_topic[topic]}
        absent = [r["event_id"] for r in outbox if r["event_id"] not in ids]
        assert not absent, f"{producer}'s rows not on the new {topic}: {absent[:5]}"
        republished += len(outbox)
    for topic, consumer in (
        (topics.TRACKING, "sla"),
        (topics.TRACKING, "notifier"),
        (topics.SLA, "notifier"),
    ):
        consumed = await _inbox(stack, consumer, topic)
        handled = {e["type"] for e in on_topic[topic] if e["id"] in consumed}
        missing = {e["id"] for e in on_topic[topic] if e["type"] in handled} - consumed
        assert not missing, f"{consumer} never processed from {topic}: {sorted(missing)[:5]}"

    # The sla service handles every orders.v1 type: what it never processed is lost input.
    sla_processed = await _inbox(stack, "sla", topics.ORDERS)
    on_broker_lost = len({e["id"] for e in on_old_broker} - sla_processed)
    # The guard replaced topics clients had auto-created narrower than configured.
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        narrow = sorted(
            t["topic"]
            for t in await admin.describe_topics(None)
            if t["topic"] in {stack.topic(name) for name in topics.all_with_dead_letters()}
            and len(t["partitions"]) != PARTITIONS
        )
    finally:
        await admin.close()
    assert not narrow, f"topics left narrower than {PARTITIONS} partitions: {narrow}"
    log = (stack.var / "simulate.log").read_text(errors="replace")
    simulated = log.count('"message": "published"')
    return {
        "never_processed": simulated - len(sla_processed),
        "simulated": simulated,
        "on_broker_lost": on_broker_lost,
        "duplicated": duplicated,
        "emails": len(sent),
        "outbox": republished,
    }


async def _inbox(stack: DevStack, consumer: str, topic: str) -> set[str]:
    rows = await stack.fetch(
        f"SELECT event_id FROM {consumer}.inbox WHERE topic = $1",  # noqa: S608
        stack.topic(topic),
    )
    return {r["event_id"] for r in rows}


@pytest.mark.parametrize("behind", [None, "sla"], ids=["caught-up", "sla-behind"])
def test_broker_restarted_empty_services_recreate_topics_and_republish(
    tmp_path: Path, behind: str | None
) -> None:
    """``behind``: a service paused for ``BACKLOG`` seconds before the restart, so that
    input it had not processed yet is on the broker when it loses everything."""
    stack = _embedded_stack(tmp_path)
    restarted = None
    try:
        wait_started(stack)
        time.sleep(GUARD_INTERVAL)  # every guard has seen the topics once
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        time.sleep(12 - (BACKLOG if behind else 0))  # orders, tracking and SLA events flow
        before = service_pids(stack)
        with contextlib.ExitStack() as frozen:
            if behind is not None:
                frozen.enter_context(paused(psutil.Process(before[behind])))
                time.sleep(BACKLOG)
            with paused(psutil.Process(simulator.pid)):
                on_old_broker = asyncio.run(stack.events_on(topics.ORDERS))
                restarted = restart_broker(stack, stack.var / "broker-restarted.log")
        detected = wait_for(
            "the loss detected by every service",
            lambda: all(stack.metric(s, LOSSES.format(s)) >= 1 for s in SERVICES),
            90,
        )
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        asyncio.run(stack.wait_quiet(timeout=360))
        figures = asyncio.run(_check_after_loss(stack, on_old_broker))
        assert service_pids(stack) == before, "a service was restarted"
    finally:
        output = stack.stop()
        if restarted is not None:
            restarted.stop()
    assert "restarting" not in output, output
    RESULTS.append(
        Summary(
            "broker restarted empty" + (f", {behind} {BACKLOG:.0f} s behind" if behind else ""),
            1,
            figures["never_processed"],
            figures["duplicated"],
            f"detected in {detected:.1f} s, no restart; lost = simulator events sla never "
            f"processed (of {figures['simulated']}; {figures['on_broker_lost']} of the "
            f"{len(on_old_broker)} on the broker at the restart); {figures['outbox']} outbox "
            f"rows all on the new topics and processed; {figures['emails']} emails",
        )
    )
    assert figures["emails"] > 0
    if behind is not None:
        assert figures["on_broker_lost"] > 0, "nothing waited for sla: no backlog tested"
