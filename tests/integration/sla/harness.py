"""The sla service run in-process against the real broker and PostgreSQL, on a FakeClock.

After each step the harness waits for facts, not for time: every record sent has been
consumed and its offset committed (so the watermark is the clock), two sweeps ran at the
new clock time, and every outbox row has been published and read back from ``sla.v1``.
Only then are the order's events compared.
"""

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.sla.entrypoint import build_app
from services.sla.settings import SlaSettings
from services.sla.spec import SPEC
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent, decode
from shared.infra.service import Service
from shared.infra.watermark import KafkaPositions, held_at
from tests.integration.sla.scenarios import Expected, Scenario
from tests.support.clock import FakeClock
from tests.support.services import running

TIMEOUT = 30.0


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _sample(service: Service, name: str, **labels: str) -> float:
    return service.metrics.registry.get_sample_value(name, labels) or 0.0


def expected_of(event: CloudEvent[Any]) -> Expected:
    data = event.data
    if event.type == "sla.resolved":
        return (event.type, str(data.resolved_kind))
    return (event.type, str(data.severity))


class Harness:
    def __init__(self, settings: SlaSettings, clock: FakeClock, db: asyncpg.Connection) -> None:
        self.settings = settings
        self.clock = clock
        self.db = db
        self.service: Service | None = None
        self.sent = 0
        self._consumed_before = 0.0
        self.duplicates_before = 0.0
        self.records: dict[str, list[CloudEvent[Any]]] = defaultdict(list)
        self._ids: set[str] = set()

    # --- lifecycle --------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def started(self) -> AsyncIterator["Harness"]:
        self._producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        await self._producer.start()
        collector = asyncio.create_task(self._collect())
        try:
            await self.start()
            try:
                yield self
            finally:
                await self.stop()
        finally:
            collector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await collector
            await self._producer.stop()

    async def start(self) -> None:
        self.service = await build_app(self.settings, clock=self.clock)
        self._running = running(self.service)
        await self._running.__aenter__()

    async def stop(self) -> None:
        assert self.service is not None
        await self._running.__aexit__(None, None, None)
        self._consumed_before += self._consumed()
        self.duplicates_before += self.duplicates()
        self.service = None

    async def restart_with(self, send: tuple[CloudEvent[Any], ...], *, twice: bool) -> None:
        """Stop, send while the service is down, start a new instance."""
        await self.stop()
        await self.send(send, twice=twice)
        await self.start()

    # --- input ------------------------------------------------------------------------

    async def send(
        self, events: tuple[CloudEvent[Any], ...], *, twice: bool = False, keep_time: bool = False
    ) -> None:
        """Publish each event (twice in a row if asked) to its topic, keyed by order, stamped
        with the clock's time as a producer would (unless ``keep_time``)."""
        for event in events:
            if not keep_time:
                event = event.model_copy(update={"time": self.clock.now()})
            for _ in range(2 if twice else 1):
                topic = self.settings.topic(event.data.topic)
                await self._producer.send_and_wait(topic, event.to_json(), key=event.key)
                self.sent += 1

    # --- observation ------------------------------------------------------------------

    def _consumed(self) -> float:
        if self.service is None:
            return 0.0
        return sum(
            _sample(self.service, "parcelwatch_sla_messages_consumed_total", topic=t, outcome=o)
            for t in (self.settings.topic(topics.ORDERS), self.settings.topic(topics.TRACKING))
            for o in ("processed", "duplicate", "ignored", "dead_lettered")
        )

    def duplicates(self) -> float:
        if self.service is None:
            return self.duplicates_before
        return self.duplicates_before + sum(
            _sample(
                self.service,
                "parcelwatch_sla_messages_consumed_total",
                topic=t,
                outcome="duplicate",
            )
            for t in (self.settings.topic(topics.ORDERS), self.settings.topic(topics.TRACKING))
        )

    async def _committed(self) -> bool:
        """Whether every consumer group committed up to the end: the watermark is now."""
        assert self.service is not None
        read = KafkaPositions(
            self.settings,
            {self.service.group_id(p): self.settings.topic(t) for t, p in SPEC.purposes.items()},
        )
        try:
            return held_at(await read()) is None
        finally:
            await read.close()

    def _sweeps(self) -> float:
        assert self.service is not None
        return _sample(self.service, "parcelwatch_sla_sweep_duration_seconds_count")

    async def settle(self) -> None:
        """Wait until every input is applied and every consequence is on ``sla.v1``."""

        async def consumed() -> bool:
            return self._consumed_before + self._consumed() >= self.sent

        await until(consumed, "the inputs to be consumed")
        await until(self._committed, "the consumers' offsets to be committed")
        swept = self._sweeps()

        async def two_sweeps() -> bool:
            return self._sweeps() >= swept + 2

        await until(two_sweeps, "two sweeps")

        async def published() -> bool:
            rows = await self.db.fetch("SELECT event_id, published_at FROM sla.outbox")
            return all(r["published_at"] for r in rows) and {r["event_id"] for r in rows} <= (
                self._ids
            )

        await until(published, "the outbox to be published and read back")

    async def at(self, when: datetime) -> None:
        self.clock.set(when)
        await self.settle()

    def emitted(self, order_id: str) -> tuple[Expected, ...]:
        return tuple(expected_of(e) for e in self.records[order_id])

    async def _collect(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            topic = self.settings.topic(topics.SLA)
            partitions = consumer.partitions_for_topic(topic)
            while not partitions:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.05)
                partitions = consumer.partitions_for_topic(topic)
            consumer.assign([TopicPartition(topic, p) for p in partitions])
            await consumer.seek_to_beginning()
            while True:
                for batch in (await consumer.getmany(timeout_ms=100)).values():
                    for record in batch:
                        event = decode(record.value)
                        self.records[event.subject].append(event)
                        self._ids.add(event.id)
        finally:
            await consumer.stop()

    # --- scenarios --------------------------------------------------------------------

    async def play(
        self, *scenarios: Scenario, twice: bool = False, restart_before: datetime | None = None
    ) -> None:
        """Play ``scenarios`` on one clock, step times in order; each input ``twice`` if
        asked; the service is restarted before the first step at ``restart_before``."""
        moments = sorted({step.at for s in scenarios for step in s.steps})
        assert restart_before is None or restart_before in moments, "no step to restart before"
        for moment in moments:
            self.clock.set(moment)
            inputs = tuple(
                e for s in scenarios for step in s.steps if step.at == moment for e in step.send
            )
            if moment == restart_before:
                await self.restart_with(inputs, twice=twice)
            else:
                await self.send(inputs, twice=twice)
            await self.settle()
            for scenario in scenarios:
                for step in scenario.steps:
                    if step.at == moment and step.expect is not None:
                        got = self.emitted(scenario.order_id)
                        assert got == step.expect, f"{scenario.name} at {moment.isoformat()}: {got}"
        for scenario in scenarios:
            events = self.records[scenario.order_id]
            assert len({e.id for e in events}) == len(events), f"{scenario.name}: a duplicate"
            scenario.check(events)
