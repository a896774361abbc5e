"""How far a service's consumer groups have got, as an instant: the event-time watermark.

A verdict about time ("not confirmed 30 minutes after it was placed") is only right once
every event that happened before that instant has been applied. While a group is behind
(after an outage, a restart, a rebalance, a replay), the first record it has not yet
processed on a partition tells how far that partition's facts go: the watermark is the
earliest ``time`` among those records, or the clock's now when every partition is caught
up. It is read from the broker (committed and end offsets, then one record per partition
behind: Kafka protocol only), so it holds for every replica of the group and across
restarts, and needs no state of its own.

Until the first reading the watermark is unknown (:class:`WatermarkUnknown`, an outage to
its callers); when a reading fails it holds at the last instant it was read: verdicts wait
rather than guess.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from shared.infra.clock import Clock
from shared.infra.kafka import partitions_of
from shared.infra.periodic import every
from shared.infra.settings import KafkaSettings

log = logging.getLogger(__name__)

READ_TIMEOUT = 10.0
"""Seconds one reading of the positions may take before it counts as failed."""
RECORDS_LOOKED_AT = 20
"""Records read past a behind group's position to find one with a valid ``time``."""


@dataclass(frozen=True)
class Position:
    """One partition as one group sees it: the next offset to process, the log's end, and
    the ``time`` of the first record not processed yet (``None`` when none could be read)."""

    next_offset: int
    end_offset: int
    first_unprocessed: datetime | None = None

    @property
    def behind(self) -> bool:
        return self.next_offset < self.end_offset


def held_at(positions: Iterable[Position]) -> datetime | None:
    """The earliest first-unprocessed time of the partitions behind; ``None`` if none is."""
    return min(
        (p.first_unprocessed for p in positions if p.behind and p.first_unprocessed),
        default=None,
    )


def event_time(value: bytes | None) -> datetime | None:
    """The CloudEvents ``time`` of a record's value, or ``None`` if it has no valid one."""
    try:
        parsed = datetime.fromisoformat(json.loads(value or b"")["time"])
    except (ValueError, TypeError, KeyError):
        return None
    return parsed if parsed.tzinfo is not None else None


class WatermarkUnknown(ConnectionError):
    """The broker has not been read yet: no verdict about time can be made."""


class Watermark:
    """A clock for verdicts: the real ``now``, held back while the consumer groups are behind.

    ``read`` returns every partition's :class:`Position`; :meth:`refresh` calls it (the
    sweeper before each sweep, :meth:`run` every ``interval`` seconds for the handlers).
    """

    def __init__(
        self,
        clock: Clock,
        read: Callable[[], Awaitable[Iterable[Position]]],
        *,
        lag: Gauge | None = None,
        interval: float = 1.0,
    ) -> None:
        self._clock = clock
        self._read = read
        self._lag = lag
        self._interval = interval
        self._known = False
        self._reading = asyncio.Lock()
        self._held: datetime | None = None
        self._read_at: datetime | None = None

    def now(self) -> datetime:
        """The instant up to which every input has been applied."""
        if not self._known:
            raise WatermarkUnknown("the consumer groups' positions were never read")
        now = self._clock.now()
        return now if self._held is None else min(now, self._held)

    async def refresh(self) -> None:
        """Read the groups' positions; on failure, hold at the last instant known applied.

        One reading at a time: the sweeper's and :meth:`run`'s take turns.
        """
        async with self._reading:
            await self._refresh()

    async def _refresh(self) -> None:
        now = self._clock.now()
        try:
            positions = list(await asyncio.wait_for(self._read(), READ_TIMEOUT))
        except Exception as exc:
            if self._read_at is not None and (self._held is None or self._read_at < self._held):
                self._held = self._read_at
            log.warning("consumer positions unreadable (%r); verdicts held", exc)
        else:
            self._held, self._read_at, self._known = held_at(positions), now, True
        if self._lag is not None and self._known:
            self._lag.set((now - self.now()).total_seconds())

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh every ``interval`` seconds until ``stop`` is set."""
        await every(self._interval, stop, self.refresh)


class KafkaPositions:
    """Reads the positions of consumer groups from the broker; call :meth:`close` at the end.

    ``groups`` maps a group id to the (prefixed) topic it consumes.
    """

    def __init__(self, settings: KafkaSettings, groups: Mapping[str, str]) -> None:
        self._settings = settings
        self._groups = dict(groups)
        self._offsets: dict[str, AIOKafkaConsumer] = {}  # one per group: committed offsets
        self._reader: AIOKafkaConsumer | None = None  # no group: end offsets and records
        self._admin: AIOKafkaAdminClient | None = None  # the topics' partitions
        self._lock = asyncio.Lock()
        self._closed = False

    def _consumer(self, group_id: str | None) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            client_id=f"{self._settings.kafka_client_id}-watermark",
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )

    async def _start(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None:
            self._admin = AIOKafkaAdminClient(
                bootstrap_servers=self._settings.kafka_bootstrap_servers,
                client_id=f"{self._settings.kafka_client_id}-watermark",
            )  # kept before starting: close() closes it
            await self._admin.start()
        if self._reader is None:
            self._reader = self._consumer(None)
            await self._reader.start()
        for group_id in self._groups.keys() - self._offsets.keys():
            self._offsets[group_id] = self._consumer(group_id)
            await self._offsets[group_id].start()
        return self._admin, self._reader

    async def __call__(self) -> list[Position]:
        async with self._lock:  # close() waits for a reading in flight
            if self._closed:
                raise RuntimeError("the positions reader is closed")
            return await self._read()

    async def _read(self) -> list[Position]:
        admin, reader = await self._start()
        # As the broker has them now: a topic recreated wider has its new partitions read.
        existing = await partitions_of(admin, self._groups.values())
        positions: list[tuple[TopicPartition, Position]] = []
        for group_id, topic in self._groups.items():
            tps = [TopicPartition(topic, p) for p in existing.get(topic, ())]
            if not tps:
                continue
            starts = await reader.beginning_offsets(tps)
            ends = await reader.end_offsets(tps)
            for tp in tps:
                committed = await self._offsets[group_id].committed(tp)
                positions.append((tp, Position(max(committed or 0, starts[tp]), ends[tp])))
        behind: dict[TopicPartition, tuple[int, int]] = {}  # first offset to read, end
        for tp, p in positions:
            if p.behind:
                first = min(behind.get(tp, (p.next_offset, 0))[0], p.next_offset)
                behind[tp] = (first, p.end_offset)
        times = await self._first_times(reader, behind)
        return [
            replace(position, first_unprocessed=times.get(tp)) if position.behind else position
            for tp, position in positions
        ]

    async def _first_times(
        self, reader: AIOKafkaConsumer, ranges: Mapping[TopicPartition, tuple[int, int]]
    ) -> dict[TopicPartition, datetime]:
        """The first valid event time in each ``[offset, end)`` (a few records looked at)."""
        if not ranges:
            return {}
        reader.assign(list(ranges))
        try:
            for tp, (offset, _) in ranges.items():
                reader.seek(tp, offset)
            found: dict[TopicPartition, datetime] = {}
            done: set[TopicPartition] = set()
            looked = dict.fromkeys(ranges, 0)
            while len(done) < len(ranges):
                batches = await reader.getmany(timeout_ms=200, max_records=RECORDS_LOOKED_AT)
                for tp, records in batches.items():
                    for record in records:
                        looked[tp] += 1
                        when = event_time(record.value)
                        if when is not None and tp not in found:
                            found[tp] = when
                        if record.offset + 1 >= ranges[tp][1]:
                            done.add(tp)
                    if tp in found or looked[tp] >= RECORDS_LOOKED_AT:
                        done.add(tp)
                    if tp in done:
                        reader.pause(tp)
            return found
        finally:
            reader.unsubscribe()

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
            for consumer in (*self._offsets.values(), *([self._reader] if self._reader else [])):
                await consumer.stop()
            if self._admin is not None:
                await self._admin.close()
