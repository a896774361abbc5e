"""Pipeline throughput: orders → tracking events → SLA → e-mails per second, one process per
service, vs raw aiokafka moving the same messages through the same topics on the same broker.

Half the orders are shipped with ``on_time`` numbers whose lifecycle the benchmark starts
(one emulator request per number) 7 emulated hours before the orders arrive, so the
poller's first poll already finds the parcel picked up: one ``customer_shipped`` e-mail
each. The other half were confirmed a week earlier and never shipped: the SLA sweeper emits
``sla.ship_by_missed`` (a seller e-mail) and ``sla.ship_promise_missed`` (a customer
e-mail). All orders are published at once; the clock stops when the capture holds every
expected e-mail.

Time runs 600 times faster (``BENCH_PIPELINE_CLOCK_SCALE``): fast enough for the 7 hours,
slow enough that the shipped orders' ship-by deadlines (a business day or more) stay minutes
away, so a pipeline that lags by seconds does not turn them into late orders. (At 3600x, a
lag of a minute is more than two emulated days.)

The baseline replays the records the pipeline put on ``orders.v1``, ``tracking.v1``,
``sla.v1`` and ``notifications.v1`` meanwhile (same keys, same bytes) into fresh topics, hop
after hop: produce a topic's records, then consume them once per consumer group that reads
that topic in the pipeline (orders 3, tracking 2, sla 1, notifications 0).

Each service's CPU time from the first order event to the last e-mail is printed per order.
Then the same orders go through a fresh stack running ``BENCH_PIPELINE_REPLICAS`` (3)
processes of each service in the same consumer groups, on the same broker and PostgreSQL:
the capture must then hold every expected e-mail once, counted from the mail itself
(:mod:`bench.mail_census`). ``BENCH_PIPELINE_REPLICAS=1`` leaves that run out.
"""

import asyncio
import os
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.infra import Infra, infrastructure
from bench.mail_census import Addressee, MailCensus, census
from bench.stack import (
    Order,
    PipelineStack,
    captured,
    consumed,
    count_captured,
    notifications,
    order_events,
    pipeline_stack,
    prime,
    publish,
    replica_of,
    shipped_orders,
    wait_for_emails,
)
from parcelwatch.dev.emulator.scenarios import Scenario
from parcelwatch.registry import SERVICES
from services.notifier.samples import sample_order
from shared.contracts import topics
from shared.infra.kafka import ensure_topics
from shared.infra.settings import KafkaSettings

ORDERS = int(os.environ.get("BENCH_PIPELINE_ORDERS", "600"))
SCALE = float(os.environ.get("BENCH_PIPELINE_CLOCK_SCALE", "600"))
PROFILE = os.environ.get("BENCH_PIPELINE_PROFILE")  # a folder: run services under pyinstrument
TIMEOUT = float(os.environ.get("BENCH_PIPELINE_TIMEOUT", "600"))
REPLICAS = int(os.environ.get("BENCH_PIPELINE_REPLICAS", "3"))
READERS = {topics.ORDERS: 3, topics.TRACKING: 2, topics.SLA: 1, topics.NOTIFICATIONS: 0}
"""Consumer groups per topic in the pipeline: poller, sla and notifier read orders, ..."""
PICKED_UP_HOURS = 7  # the on_time script's pickup scan is at h6
STRETCHED = {"POLLER_INTERVAL_IN_TRANSIT": "P30D"}
"""One poll per parcel during the run, as in real time, where a parcel's next poll is hours
away; at 600x the default PT2H would re-poll every parcel in transit every 12 s."""

Records = dict[str, list[tuple[bytes | None, bytes]]]


@dataclass(frozen=True)
class Run:
    """One pass of the orders through a stack."""

    seconds: float
    """From the first order event to the last expected e-mail."""
    mail: MailCensus
    cpu: dict[str, float]
    """CPU seconds of each process group over those seconds."""
    consumed: dict[str, int]
    """Records each service process took from Kafka."""
    records: Records
    """What each topic received meanwhile."""

    @property
    def orders_per_second(self) -> float:
        return ORDERS / self.seconds


async def _run_pipeline(stack: PipelineStack) -> Run:
    """Feed the orders (see the module doc) and wait for their e-mails."""
    shipped = shipped_orders("ship", ORDERS // 2, Scenario.ON_TIME)
    late = [
        Order(f"late-{n:06d}", f"late-{n:06d}@example.com") for n in range(ORDERS - len(shipped))
    ]
    seller = sample_order().seller.email
    expected: Counter[Addressee] = Counter((o.order_id, o.customer_email) for o in shipped + late)
    expected.update((o.order_id, seller) for o in late)
    primed_at = stack.clock.now()
    await prime(stack, shipped)
    ready = PICKED_UP_HOURS * 3600 / SCALE - (stack.clock.now() - primed_at).total_seconds() / SCALE
    await asyncio.sleep(max(0.0, ready))
    events = [e for o in shipped for e in order_events(o, primed_at - timedelta(hours=1))]
    week_ago = stack.clock.now() - timedelta(days=7)
    events += [e for o in late for e in order_events(o, week_ago)]
    cpu_before = stack.cpu_seconds()
    started = time.time()
    await publish(stack, events)
    finished = await wait_for_emails(stack, expected.total(), TIMEOUT)
    cpu = {k: v - cpu_before.get(k, 0.0) for k, v in stack.cpu_seconds().items()}
    await asyncio.sleep(3)  # anything beyond the expected e-mails would show now
    rows = await notifications(stack)
    kinds = Counter(kind for _, kind in rows.values())
    print(f"e-mails: {count_captured(stack)} captured, expected {expected.total()}; {dict(kinds)}")
    await _stages(stack, started)
    records, last = await _records(stack.kafka, started, finished)
    for mid, at in captured(stack).items():
        if mid in rows:
            kind = rows[mid][1]
            last[kind] = max(last.get(kind, 0.0), at / 1e9 - started)
    print(
        "last record / e-mail, s after the first order: "
        + ", ".join(f"{what} {at:.1f}" for what, at in sorted(last.items(), key=lambda kv: kv[1]))
    )
    taken = {name: consumed(url, replica_of(name)) for name, url in stack.urls.items()}
    return Run(finished - started, census(stack.mail_folder, expected), cpu, taken, records)


async def _stages(stack: PipelineStack, started: float) -> None:
    """Print when each service finished taking in each topic and writing its outbox, from
    the inbox and outbox timestamps (PostgreSQL's clock), in seconds after ``started``."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        for schema in SERVICES:
            intake = await conn.fetch(
                f"SELECT topic, count(*) AS n, max(received_at) AS last"  # noqa: S608
                f" FROM {schema}.inbox GROUP BY topic ORDER BY topic"
            )
            out = await conn.fetchrow(
                f"SELECT count(*) AS n, max(created_at) AS made, max(published_at) AS sent"  # noqa: S608
                f" FROM {schema}.outbox"
            )
            parts = [
                f"{r['n']} {r['topic']} in by {r['last'].timestamp() - started:.1f}" for r in intake
            ]
            if out is not None and out["n"]:
                parts.append(
                    f"{out['n']} out: written by {out['made'].timestamp() - started:.1f},"
                    f" published by {out['sent'].timestamp() - started:.1f}"
                )
            print(f"  {schema}: " + "; ".join(parts))
    finally:
        await conn.close()


async def _records(
    kafka: KafkaSettings, since: float, until: float
) -> tuple[Records, dict[str, float]]:
    """The records each pipeline topic received between ``since`` and ``until`` (real s),
    and when the last of them came, in seconds after ``since``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.kafka_bootstrap_servers)
    await consumer.start()
    records: Records = {}
    last: dict[str, float] = {}
    try:
        for topic in READERS:
            name = kafka.topic(topic)
            parts = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
            if not parts:
                parts = [TopicPartition(name, p) for p in range(kafka.kafka_topic_partitions)]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            found = records.setdefault(topic, [])
            while [p for p in parts if await consumer.position(p) < ends[p]]:
                for batch in (await consumer.getmany(timeout_ms=1000)).values():
                    for r in batch:
                        if r.value is not None and since * 1000 <= r.timestamp <= until * 1000:
                            found.append((r.key, r.value))
                            last[topic] = max(last.get(topic, 0.0), r.timestamp / 1000 - since)
    finally:
        await consumer.stop()
    return records, last


async def _baseline(kafka: KafkaSettings, records: Records) -> float:
    """Seconds to move ``records`` hop after hop with bare aiokafka (see module doc); the
    consumers have joined their groups before the clock starts, as the services' have."""
    base = KafkaSettings.model_validate(
        {**kafka.model_dump(), "kafka_topic_prefix": f"{kafka.kafka_topic_prefix}base-"}
    )
    await ensure_topics(base, topics.ALL)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.kafka_bootstrap_servers,
        enable_idempotence=kafka.kafka_enable_idempotence,
        acks="all",
    )
    readers = {
        topic: [await _joined(kafka, base.topic(topic)) for _ in range(count)]
        for topic, count in READERS.items()
    }
    await producer.start()
    try:
        started = time.perf_counter()
        for topic, consumers in readers.items():
            name = base.topic(topic)
            sent = [await producer.send(name, value, key=key) for key, value in records[topic]]
            await asyncio.gather(*sent)
            await asyncio.gather(*(_consume(c, len(records[topic])) for c in consumers))
        return time.perf_counter() - started
    finally:
        await producer.stop()
        for consumer in (c for consumers in readers.values() for c in consumers):
            await consumer.stop()


async def _joined(kafka: KafkaSettings, topic: str) -> AIOKafkaConsumer:
    """A consumer of ``topic`` in a group of its own, with its partitions assigned."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.kafka_bootstrap_servers,
        group_id=f"bench-base-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    return consumer


async def _consume(consumer: AIOKafkaConsumer, count: int) -> None:
    """Read ``count`` records, committing after each batch."""
    seen = 0
    while seen < count:
        batches = await consumer.getmany(timeout_ms=500)
        seen += sum(len(batch) for batch in batches.values())
        if batches:
            await consumer.commit()


def _per_order(cpu: dict[str, float]) -> str:
    busiest = sorted(cpu.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v * 1000 / ORDERS:.1f}" for k, v in busiest)


def _check(mail: MailCensus) -> None:
    if not mail.exact:
        raise AssertionError(
            f"{mail.emails} e-mails: {mail.duplicates} duplicates, missing {mail.missing[:5]}"
            f" ({len(mail.missing)}), unexpected {mail.unexpected[:5]} ({len(mail.unexpected)})"
        )


def _single(infra: Infra, profile: Path | None) -> tuple[Run, float]:
    """The pipeline with one process per service, and the bare aiokafka baseline."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp,
        pipeline_stack(infra, Path(tmp), scale=SCALE, env=STRETCHED, profile=profile) as stack,
    ):
        run = asyncio.run(_run_pipeline(stack))
        _check(run.mail)
        return run, asyncio.run(_baseline(stack.kafka, run.records))


def _replicated(infra: Infra) -> Run:
    """The pipeline with ``REPLICAS`` processes of each service."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp,
        pipeline_stack(infra, Path(tmp), scale=SCALE, env=STRETCHED, replicas=REPLICAS) as stack,
    ):
        return asyncio.run(_run_pipeline(stack))


def main() -> None:
    profile = Path(PROFILE).resolve() if PROFILE else None
    with infrastructure() as infra:
        run, baseline = _single(infra, profile)
        moved = {topic: len(found) for topic, found in run.records.items()}
        emails = run.mail.emails
        rate, base_rate = emails / run.seconds, emails / baseline
        print(f"orders: {ORDERS} (half shipped, half never shipped), clock x{SCALE:g}")
        print(f"records per topic during the run: {moved}")
        print(
            f"pipeline: {run.orders_per_second:8.1f} orders/s  {rate:8.1f} e-mails/s"
            f"  ({run.seconds:.1f} s)"
        )
        print(
            f"bare aiokafka, same records and hops: {ORDERS / baseline:8.1f} orders/s  "
            f"{base_rate:8.1f} e-mails/s  ({baseline:.2f} s)"
        )
        print(f"ratio pipeline / bare aiokafka: {rate / base_rate:.3f}")
        busiest = sorted(run.cpu.items(), key=lambda kv: -kv[1])
        print("CPU seconds during the run: " + ", ".join(f"{k} {v:.1f}" for k, v in busiest))
        print(f"CPU ms per order: {_per_order(run.cpu)}")
        if profile is not None:
            print(f"pyinstrument profiles: {profile}/<service>.txt")
        if REPLICAS > 1:
            scaled = _replicated(infra)
            mail = scaled.mail
            print(
                f"replicas {REPLICAS}: {mail.emails} e-mails, {mail.duplicates} duplicates,"
                f" {scaled.orders_per_second:.1f} orders/s ({scaled.seconds:.1f} s)"
            )
            print(f"replicas {REPLICAS}, CPU ms per order (all replicas): {_per_order(scaled.cpu)}")
            print(f"replicas {REPLICAS}, records consumed by each process: {scaled.consumed}")
            _check(mail)
