"""Bad, repeated and late input on every topic a service consumes, on a whole running stack.

Poison: while the simulator runs, broken messages (not JSON, JSON but not a CloudEvent, a
wrong ``specversion``, an unknown type, a known type with invalid data) are produced with
the key of a real order, so they sit on the same partitions as the real traffic. Each
lands on ``<topic>.dlq`` once per consumer group with its key, its value (sealed by the
stack: it opens to the original bytes), its origin and a reason; every group commits past
it, and the accounting of the run is clean: every message, SLA event and status move the
inputs call for, once.

Duplicates and out-of-order: a fresh order's events are produced latest first while the
run starts; once the run is quiet, every real input event is produced again (same id), and
older events are produced again under new ids after newer ones (an old scan with a new
fingerprint, the first status change, each SLA event, each order's ``order.placed``). No
duplicate effect (the accounting: no message, SLA event or status move twice; no
notification from a replayed event; no re-registered shipment) and no status moves
backwards; the fresh order is tracked to delivery.

``make test`` runs both on the quick stories; ``make test-faults`` on every story.
"""

import asyncio
import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from subprocess import Popen
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import SecretStr

from parcelwatch.dev.simulator.stories import Story, plan
from services.notifier.spec import SPEC as NOTIFIER
from services.poller.spec import SPEC as POLLER
from services.sla.spec import SPEC as SLA
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent, InvalidEvent, decode, new_event
from shared.contracts.events import EventData
from shared.contracts.statuses import TrackingStatus, advances
from shared.infra.clock import ScaledClock
from shared.infra.deadletter import SEALED, Sealer
from tests.faults.accounting import QUICK_STORIES, Expected, expect, orders_of, simulated
from tests.faults.harness import (
    CLOCK_SCALE,
    QUICK_CLOCK_SCALE,
    RESULTS,
    DevStack,
    FinalState,
    Summary,
    check_final_state,
    simulate,
)
from tests.support.events import one_of_each

FULL = os.environ.get("PARCELWATCH_FAULTS") == "1"
STORIES = tuple(Story) if FULL else QUICK_STORIES  # every story once, or the quick ones twice
ORDERS = len(Story) if FULL else 2 * len(QUICK_STORIES)
ORDERS_PER_MINUTE = 240.0
SOURCE = "tests/faults"
FRESH_SERIAL = 900  # the out-of-order order's serial, beyond the simulator's
CONSUMERS: dict[str, dict[str, str]] = {
    "poller": POLLER.purposes,
    "sla": SLA.purposes,
    "notifier": NOTIFIER.purposes,
}
INPUTS = sorted({topic for purposes in CONSUMERS.values() for topic in purposes})
"""Every topic some service consumes (from the services' own subscription tables)."""


def groups(stack: DevStack, topic: str) -> dict[str, str]:
    """Consumer group of each service that consumes ``topic`` in ``stack``, by service."""
    return {
        service: stack.group(service, purposes[topic])
        for service, purposes in CONSUMERS.items()
        if topic in purposes
    }


@dataclass(frozen=True)
class Sent:
    """A message this test produced, where it landed."""

    label: str
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


@dataclass(frozen=True)
class Seen:
    """A record read back from a topic."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]


class Kafka:
    """Produces and reads whole topics with assigned partitions (no consumer group)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    async def produce(self, topic: str, items: list[tuple[str, bytes, bytes]]) -> list[Sent]:
        """Produce ``(label, key, value)`` in order; returns where each landed."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await producer.start()
        try:
            sent = []
            for label, key, value in items:
                meta = await producer.send_and_wait(topic, value, key=key)
                sent.append(Sent(label, topic, meta.partition, meta.offset, key, value))
            return sent
        finally:
            await producer.stop()

    async def read(self, topic: str) -> list[Seen]:
        """Every record on ``topic`` up to its end offsets at the time of the call."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in await self._partitions(consumer, topic)]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            seen: list[Seen] = []
            deadline = time.monotonic() + 60
            while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
                assert time.monotonic() < deadline, f"could not read {topic} to its end"
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    seen += [
                        Seen(
                            r.partition,
                            r.offset,
                            r.key,
                            r.value or b"",
                            {k: v.decode() for k, v in r.headers},
                        )
                        for r in batch
                        if r.offset < ends[TopicPartition(topic, r.partition)]
                    ]
            return seen
        finally:
            await consumer.stop()

    async def committed(self, group: str, topic: str) -> dict[int, int]:
        """``group``'s committed offset of each partition of ``topic`` (-1: none yet).

        Asked through a consumer of the group with assigned partitions (it does not join
        the group): the embedded broker answers the admin client's OffsetFetch in a form
        aiokafka cannot parse."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in await self._partitions(consumer, topic)]
            consumer.assign(parts)
            return {tp.partition: await consumer.committed(tp) or -1 for tp in parts}
        finally:
            await consumer.stop()

    @staticmethod
    async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
        for _ in range(50):
            found = consumer.partitions_for_topic(topic)
            if found:
                return set(found)
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        raise AssertionError(f"topic {topic} does not exist")


def events(records: list[Seen]) -> list[tuple[Seen, CloudEvent[Any]]]:
    """The records that are valid events."""
    valid = []
    for record in records:
        try:
            valid.append((record, decode(record.value)))
        except InvalidEvent:
            continue
    return valid


def opened(stack: DevStack, letter: Seen) -> bytes:
    """A dead letter's original value (the stack seals them with its key)."""
    if letter.headers.get("dlq-value-encoding") != SEALED:
        return letter.value
    keys = stack.env.get("DLQ_ENCRYPTION_KEYS") or (stack.var / "dlq.key").read_text()
    return Sealer(SecretStr(keys)).open(letter.value)


# --- poison ------------------------------------------------------------------------------


def template(topic: str, order_id: str) -> dict[str, Any]:
    """A valid event of ``topic`` for ``order_id``, as a JSON document to break."""
    data = next(d for d in one_of_each() if d.topic == topic)
    event = new_event(data.model_copy(update={"order_id": order_id}), SOURCE)
    document: dict[str, Any] = json.loads(event.to_json())
    return document


POISONS = ("not JSON", "not a CloudEvent", "wrong specversion", "unknown type", "invalid data")


def poison(kind: str, topic: str, order_id: str) -> bytes:
    """A broken message of ``kind`` for ``order_id``'s partition of ``topic``."""
    valid = template(topic, order_id)

    def variant(**changes: Any) -> bytes:
        return json.dumps({**valid, "id": str(uuid.uuid4()), **changes}).encode()

    match kind:
        case "not JSON":
            return b"\xff\xfe{not json at all"
        case "not a CloudEvent":
            return json.dumps({"order_id": order_id, "status": "delivered"}).encode()
        case "wrong specversion":
            return variant(specversion="0.3")
        case "unknown type":
            return variant(type="order.teleported")
        case "invalid data":
            return variant(data={"order_id": order_id})
    raise ValueError(kind)


def test_poison_on_every_input_topic_is_dead_lettered_and_the_partition_flows(
    running: "Run",
) -> None:
    stack = running.stack
    kafka = Kafka(stack.bootstrap)
    produced: list[Sent] = []
    for round_ in range(2):  # early in the run, then while the stories play out
        orders = _wait_for_orders(kafka, stack.topic(topics.ORDERS), minimum=3 * (round_ + 1))
        rng = random.Random(round_)
        for topic in INPUTS:
            keys = [rng.choice(orders) for _ in POISONS]
            items = [
                (kind, key.encode(), poison(kind, topic, key))
                for kind, key in zip(POISONS, keys, strict=True)
            ]
            produced += asyncio.run(kafka.produce(stack.topic(topic), items))
    for sent in produced:
        if (event_id := _id_of(sent.value)) is not None:
            running.produced[event_id] += 1
            running.poison.add(event_id)
    final = running.settle()

    rows = []
    for topic in INPUTS:
        physical = stack.topic(topic)
        mine = [p for p in produced if p.topic == physical]
        dead = asyncio.run(kafka.read(stack.topic(topics.dead_letter(topic))))
        letters: Counter[tuple[int, int, str]] = Counter()
        for letter in dead:
            h = letter.headers
            assert h["dlq-origin-topic"] == physical, h
            assert h["dlq-error"].strip(), f"a dead letter without a reason: {h}"
            letters[
                (
                    int(h["dlq-origin-partition"]),
                    int(h["dlq-origin-offset"]),
                    h["dlq-consumer-group"],
                )
            ] += 1
        by_origin = {
            (int(d.headers["dlq-origin-partition"]), int(d.headers["dlq-origin-offset"])): d
            for d in dead
        }
        flowed = 0
        real = [
            (seen, event)
            for seen, event in events(asyncio.run(kafka.read(physical)))
            if (seen.partition, seen.offset) not in {(p.partition, p.offset) for p in mine}
        ]
        for service, group in groups(stack, topic).items():
            committed = asyncio.run(kafka.committed(group, physical))
            for bad in mine:
                where = (bad.partition, bad.offset, group)
                assert letters[where] >= 1, f"{bad.label} on {topic} not dead-lettered by {group}"
                letter = by_origin[(bad.partition, bad.offset)]
                assert (letter.key, opened(stack, letter)) == (bad.key, bad.value)
                assert committed[bad.partition] > bad.offset, (
                    f"{group} is stuck at or before the {bad.label} on {topic}"
                )
            inbox = {
                r["event_id"]
                for r in asyncio.run(
                    stack.fetch(f"SELECT event_id FROM {service}.inbox WHERE topic = $1", physical)  # noqa: S608
                )
            }
            flowed += sum(
                1
                for bad in mine
                if any(
                    s.partition == bad.partition and s.offset > bad.offset and e.id in inbox
                    for s, e in real
                )
            )
        assert flowed, f"no poison on {topic} had a processed real event behind it"
        extra = sum(
            n - 1
            for (_, _, g), n in letters.items()
            if n > 1 and g in groups(stack, topic).values()
        )
        rows.append(
            Summary(
                f"poison on {topic}",
                len(mine),
                final.report.lost,
                final.report.duplicated,
                f"{sum(letters.values())} dead letters for {len(groups(stack, topic))} groups "
                f"({extra} redelivered); "
                f"{flowed} poison x group with real events behind; the run: {final.note}",
            )
        )
    RESULTS.extend(rows)


def _id_of(value: bytes) -> str | None:
    """The id of a produced record that reads as an event (some poison does)."""
    try:
        document = json.loads(value)
    except ValueError:
        return None
    found = document.get("id") if isinstance(document, dict) else None
    return found if isinstance(found, str) else None


def _wait_for_orders(kafka: Kafka, topic: str, minimum: int) -> list[str]:
    """Order ids of the simulator's traffic so far (at least ``minimum`` of them)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = sorted(
            {
                e.subject
                for _, e in events(asyncio.run(kafka.read(topic)))
                if e.subject.startswith("sim-")
            }
        )
        if len(found) >= minimum:
            return found
        time.sleep(1)
    raise AssertionError(f"fewer than {minimum} orders on {topic}")


# --- duplicates and out-of-order ---------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    statuses: dict[str, dict[str, str | None]]  # by schema, shipment id
    generations: dict[str, int]
    last_notification: int


async def snapshot(stack: DevStack) -> Snapshot:
    statuses = {
        schema: {
            r["shipment_id"]: r["status"]
            for r in await stack.fetch(f"SELECT shipment_id, status FROM {schema}.shipments")  # noqa: S608
        }
        for schema in ("poller", "sla")
    }
    generations = {
        r["shipment_id"]: r["generation"]
        for r in await stack.fetch("SELECT shipment_id, generation FROM poller.shipments")
    }
    rows = await stack.fetch("SELECT coalesce(max(id), 0) AS n FROM notifier.notifications")
    return Snapshot(statuses, generations, int(rows[0]["n"]))


def renewed(event: CloudEvent[Any], **data: Any) -> tuple[str, bytes, bytes]:
    """``event`` again under a new id (and ``data`` changes): a late re-publication."""
    payload: EventData = event.data.model_copy(update=data)
    late = new_event(payload, event.source, time=event.time)
    return ("late", event.key, late.to_json())


def late_events(topic: str, real: list[CloudEvent[Any]]) -> list[tuple[str, bytes, bytes]]:
    """Older events of ``topic`` again, under new ids, after the newer ones."""
    if topic == topics.ORDERS:
        return [renewed(e) for e in real if e.type == "order.placed"]
    if topic == topics.SLA:
        return [renewed(e) for e in real]
    first: dict[tuple[str, str], CloudEvent[Any]] = {}
    for event in real:
        first.setdefault((event.data.shipment_id, event.type), event)
    late = []
    for (_, kind), event in first.items():
        if kind == "tracking.event":
            late.append(renewed(event, fingerprint=f"{event.data.fingerprint}:late"))
        elif kind == "tracking.status_changed":
            late.append(renewed(event))
    return late


def test_duplicate_and_out_of_order_events_have_no_second_effect(running: "Run") -> None:
    stack = running.stack
    kafka = Kafka(stack.bootstrap)
    running.settle()  # the run as the inputs call for it, quiet
    before = asyncio.run(snapshot(stack))
    duplicates_before = {s: _consumed(stack, s, "duplicate") for s in CONSUMERS}

    replayed: dict[str, list[CloudEvent[Any]]] = {}
    late_ids: set[str] = set()
    for topic in INPUTS:
        real = [
            (seen, event)
            for seen, event in events(asyncio.run(kafka.read(stack.topic(topic))))
            if event.source != SOURCE
        ]
        replayed[topic] = [event for _, event in real]
        asyncio.run(
            kafka.produce(stack.topic(topic), [("again", s.key or b"", s.value) for s, _ in real])
        )
        late = late_events(topic, [event for _, event in real])
        late_ids |= {json.loads(value)["id"] for _, _, value in late}
        asyncio.run(kafka.produce(stack.topic(topic), late))
    running.produced.update(e.id for batch in replayed.values() for e in batch)
    running.produced.update(late_ids)
    final = running.settle()  # no second message, SLA event or status move
    _wait_until_delivered(stack, running.fresh_id)
    after = asyncio.run(snapshot(stack))

    # Same id: each consumer saw every replayed event it handles as a duplicate.
    for service, purposes in CONSUMERS.items():
        inbox = {
            r["event_id"]
            for r in asyncio.run(stack.fetch(f"SELECT event_id FROM {service}.inbox"))  # noqa: S608
        }
        handled = sum(1 for t in purposes for e in replayed[t] if e.id in inbox)
        seen = _consumed(stack, service, "duplicate") - duplicates_before[service]
        assert seen >= handled, f"{service}: {seen} duplicates seen, {handled} replayed"
    # No notification claimed since the replay comes from a replayed or late event.
    replayed_ids = {e.id for batch in replayed.values() for e in batch} | late_ids
    caused = asyncio.run(
        stack.fetch(
            "SELECT dedup_key FROM notifier.notifications "
            "WHERE id > $1 AND trigger_event_id = ANY($2::text[])",
            before.last_notification,
            list(replayed_ids),
        )
    )
    assert not caused, f"replayed events caused notifications: {[r['dedup_key'] for r in caused]}"
    regenerated = {k for k, g in before.generations.items() if after.generations[k] != g}
    assert not regenerated, f"shipments re-registered by a replayed event: {regenerated}"
    backwards = {
        (schema, shipment): (was, now)
        for schema, statuses in before.statuses.items()
        for shipment, was in statuses.items()
        if (now := after.statuses[schema][shipment]) != was and not _forward(was, now)
    }
    assert not backwards, f"statuses moved backwards: {backwards}"

    RESULTS.append(
        Summary(
            "duplicate input events (same id)",
            sum(len(batch) for batch in replayed.values()),
            final.report.lost,
            final.report.duplicated,
            f"every event of {', '.join(INPUTS)} produced again; the run: {final.note}",
        )
    )
    RESULTS.append(
        Summary(
            "out-of-order input events",
            len(late_ids) + running.latest_first,
            final.report.lost,
            final.report.duplicated,
            f"old events under new ids; {running.fresh_id} latest first, tracked to delivered",
        )
    )


def _forward(was: str | None, now: str | None) -> bool:
    if was is None:
        return True
    return now is not None and advances(TrackingStatus(was), TrackingStatus(now))


def _consumed(stack: DevStack, service: str, outcome: str) -> float:
    return stack.metric(
        service, f"parcelwatch_{service}_messages_consumed_total", f'outcome="{outcome}"'
    )


def _wait_until_delivered(stack: DevStack, order_id: str, timeout: float = 300.0) -> None:
    """The order whose events came latest first is still tracked to delivery and told
    it shipped."""
    deadline = time.monotonic() + timeout
    query = (
        "SELECT (SELECT status FROM poller.shipments WHERE order_id = $1) AS poller,"
        " (SELECT status FROM sla.shipments WHERE order_id = $1) AS sla,"
        " (SELECT placed_at IS NOT NULL AND confirmed_at IS NOT NULL FROM sla.orders"
        "  WHERE order_id = $1) AS known,"
        " (SELECT state FROM notifier.notifications WHERE order_id = $1"
        "  AND kind = 'customer_shipped') AS shipped"
    )
    row: dict[str, Any] = {}
    while time.monotonic() < deadline:
        row = dict(asyncio.run(stack.fetch(query, order_id))[0])
        if row == {"poller": "delivered", "sla": "delivered", "known": True, "shipped": "sent"}:
            return
        time.sleep(2)
    raise AssertionError(f"order {order_id} (events latest first) did not complete: {row}")


@dataclass
class Run:
    """The module's stack, its simulator, what its inputs call for, and what the tests
    produced themselves (left out of the accounting)."""

    stack: DevStack
    simulator: Popen[bytes]
    expected: Expected
    fresh_id: str
    latest_first: int
    produced: Counter[str] = field(default_factory=Counter)
    poison: set[str] = field(default_factory=set)

    def settle(self) -> FinalState:
        """The final state, checked (``check_final_state``)."""
        log = self.stack.var / "simulate.log"
        assert self.simulator.wait(timeout=300) == 0, log.read_text()
        return asyncio.run(
            check_final_state(
                self.stack,
                self.expected,
                produced=self.produced,
                poison=frozenset(self.poison),
            )
        )


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One stack for the module: the simulator started on it, and a fresh order whose
    events are produced latest first."""
    scale = CLOCK_SCALE if FULL else QUICK_CLOCK_SCALE
    stack = DevStack(Path(tmp_path_factory.mktemp("inputs")) / "var", clock_scale=scale)
    stack.start()
    simulator: Popen[bytes] | None = None
    try:
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE, STORIES)
        clock = ScaledClock(scale, origin=datetime.fromisoformat(stack.env["CLOCK_ORIGIN"]))
        fresh = plan(Story.ON_TIME, FRESH_SERIAL, clock.now(), random.Random(FRESH_SERIAL))
        latest_first = [
            ("latest first", item.data.order_id.encode(), new_event(item.data, SOURCE).to_json())
            for item in reversed(fresh)
        ]
        asyncio.run(Kafka(stack.bootstrap).produce(stack.topic(topics.ORDERS), latest_first))
        inputs = [*simulated(ORDERS, STORIES), *(item.data for item in fresh)]
        yield Run(
            stack,
            simulator,
            expect(orders_of(inputs)),
            fresh[0].data.order_id,
            len(latest_first),
        )
    finally:
        if simulator is not None and simulator.poll() is None:
            simulator.kill()
            simulator.wait()
        stack.stop()
