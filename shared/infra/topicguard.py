"""Notices that the broker lost topics or records, recreates the topics, and has the
outbox republish (Kafka protocol only: topic metadata and end offsets).

A broker that loses its state (the embedded broker keeps everything in memory; a
Kafka cluster after a topic was deleted or an unclean leader election) shows it as:
a topic gone, a partition gone, or a partition whose end offset went backwards. Every
check compares the topics' partitions and end offsets with the previous check.

A topic whose partitions changed (recreated after a loss, or widened) has the service's
consumers start over (``on_reshape``) as new members of their groups: until the group
rebalances a member keeps the assignment made for the old partitions, and a broker may
hand a rejoining member its previous assignment again (the embedded one does), so a
consumer could stay off the new partitions for good.

On a loss the guard, when allowed (production usually manages its topics itself),
creates the missing topics and replaces any that a client's request had the broker
auto-create with fewer partitions than configured: the other clients still address the
configured partitions, and a broker that accepts writes to a partition it lacks (the
embedded one does) would swallow them. Once every topic exists it calls ``on_loss``:
the service's outbox relay then republishes what it published within the retention
window, and the consumers' inboxes drop the copies they had already processed.

What a loss takes away for good: records that other producers (the order service, the
simulator) had put on the broker and some consumer had not processed yet, or wrote to a
narrow auto-created topic before the guard replaced it; and the consumer
groups' committed offsets (harmless: consumers start from the earliest offset and the
inbox drops what they had already processed). A loss the broker repairs within one
check interval (every topic back with as many partitions and at least as many records)
goes unseen, and so does one that happened before the guard's first look if another
service had already recreated the topics. Rows published between the loss and its
detection reach the new topics before the older rows republished after them: consumers
must tolerate events out of order (a status never goes backwards).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Counter

from shared.infra.kafka import ensure_topics, partitions_of
from shared.infra.periodic import every
from shared.infra.settings import KafkaSettings

log = logging.getLogger(__name__)

Snapshot = dict[str, dict[int, int]]
"""End offset of every partition, by topic; a missing topic is absent."""


def losses(
    before: Mapping[str, Mapping[int, int]] | None, now: Snapshot, expected: Iterable[str]
) -> list[str]:
    """Why ``now`` shows the broker lost data since ``before`` (pure); empty if it did not.

    A missing topic counts even without a previous check (a fresh broker, or one that
    lost its state while the service was down)."""
    reasons = [f"topic {name} is missing" for name in expected if name not in now]
    for topic, ends in (before or {}).items():
        current = now.get(topic)
        if current is None:
            continue
        for partition, end in sorted(ends.items()):
            if partition not in current:
                reasons.append(f"{topic} lost partition {partition}")
            elif current[partition] < end:
                reasons.append(
                    f"{topic}[{partition}] end offset went back from {end} to {current[partition]}"
                )
    return reasons


def _widths(snapshot: Snapshot) -> dict[str, int]:
    return {topic: len(ends) for topic, ends in snapshot.items()}


class TopicGuard:
    """Checks the service's topics every ``interval`` seconds; see the module docstring."""

    def __init__(
        self,
        settings: KafkaSettings,
        topics: tuple[str, ...],
        on_loss: Callable[[], None],
        on_reshape: Callable[[], Awaitable[None]],
        *,
        losses: Counter,
        recreate: bool,
        interval: float = 5.0,
        checks: Counter | None = None,
    ) -> None:
        self._settings = settings
        self._contract_topics = topics
        self._names = [settings.topic(name) for name in topics]
        self._on_loss = on_loss
        self._on_reshape = on_reshape
        self._recreate = recreate
        self._interval = interval
        self._seen: Snapshot | None = None
        self._pending = False
        self._reshape_due = False
        self._losses = losses
        self._checks = checks

    async def check_once(self) -> list[str]:
        """One check, and the recovery it calls for; returns the losses it saw."""
        async with asyncio.timeout(max(30.0, self._interval)):
            now = await self.snapshot()
            reasons = losses(self._seen, now, self._names)
            if reasons and not self._pending:
                self._losses.inc()
                self._pending = True
                log.error("the broker lost data; recovering", extra={"reasons": reasons[:10]})
            if self._pending and self._recreate:
                now = await self._recreate_topics(now)
        if self._pending:
            if all(self._restored(name, now) for name in self._names):
                self._pending = False
                self._reshape_due = True
                self._on_loss()
            else:
                log.error("topics still missing or narrow, trying again at the next check")
        elif self._seen is not None and _widths(self._seen) != _widths(now):
            self._reshape_due = True
        self._seen = now
        if self._checks is not None:
            self._checks.inc()
        if self._reshape_due:  # not under the timeout: consumers finish what they hold
            await self._on_reshape()
            self._reshape_due = False
        return reasons

    def _restored(self, name: str, now: Snapshot) -> bool:
        """Whether topic ``name`` is back: present, and as wide as configured when this
        guard recreates topics (a client's metadata request can auto-create it narrow again
        between the guard's delete and create: the next check tries again)."""
        if name not in now:
            return False
        return not self._recreate or len(now[name]) >= self._settings.kafka_topic_partitions

    async def _recreate_topics(self, now: Snapshot) -> Snapshot:
        """Create the missing topics; first delete those that clients auto-created with
        fewer partitions than configured (their cached metadata still has the old count,
        and a broker that accepts writes to a partition it lacks would swallow them)."""
        partitions = self._settings.kafka_topic_partitions
        narrow = [name for name in self._names if name in now and len(now[name]) < partitions]
        if narrow:
            admin = AIOKafkaAdminClient(bootstrap_servers=self._settings.kafka_bootstrap_servers)
            await admin.start()
            try:
                # Another service's guard may have widened them since ``now`` was taken, and
                # its outbox written to them: delete only what is still narrow right now.
                now_there = await partitions_of(admin, narrow)
                narrow = [name for name, numbers in now_there.items() if len(numbers) < partitions]
                if narrow:
                    await admin.delete_topics(narrow)
            finally:
                await admin.close()
            if narrow:
                log.warning("deleted auto-created topics to widen them", extra={"topics": narrow})
        if narrow or any(name not in now for name in self._names):
            created = await ensure_topics(self._settings, self._contract_topics)
            log.warning("recreated topics", extra={"topics": created})
            return await self.snapshot()
        return now

    async def snapshot(self) -> Snapshot:
        """End offsets of every partition of the guarded topics that exist."""
        bootstrap = self._settings.kafka_bootstrap_servers
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        await admin.start()
        try:
            existing = await partitions_of(admin, self._names)
        finally:
            await admin.close()
        snapshot: Snapshot = {topic: {} for topic in existing}
        partitions = [TopicPartition(t, p) for t, numbers in existing.items() for p in numbers]
        if not partitions:
            return snapshot
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        await consumer.start()
        try:
            for tp, end in (await consumer.end_offsets(partitions)).items():
                snapshot[tp.topic][tp.partition] = end
        finally:
            await consumer.stop()
        return snapshot

    async def run(self, stop: asyncio.Event) -> None:
        """Check until ``stop`` is set; a broker that does not answer is checked again
        later (a paused broker is not a lost one)."""
        await every(self._interval, stop, self._check_logged)

    async def _check_logged(self) -> None:
        try:
            await self.check_once()
        except Exception as exc:
            log.warning("topic check failed: %s", type(exc).__name__)
