"""The poller's use cases: a shipment registered, due shipments claimed, a carrier's
answer (polled or pushed) applied.

Each writes its effects (state, scans, outbox rows) in one transaction, deciding through
the pure :mod:`~services.poller.tracking`, and counts its metrics once that transaction
committed. Registrations run in the consumer's transaction, beside their inbox rows, a batch
at a time: its shipments are locked and read at once (``lock``), each handler decides, and
the batch's shipments and events are written at once (``write``). The others own theirs.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg

from services.poller import store, tracking
from services.poller.carriers.base import (
    InvalidNumber,
    NotFound,
    ParsedShipment,
    TrackOutcome,
)
from services.poller.metrics import PollerMetrics
from services.poller.scheduler import PollingPolicy
from services.poller.tracking import Lifecycle, Result, Shipment
from services.poller.tracking_numbers import TrackingNumbers
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import ShipmentRegistered
from shared.infra.aftercommit import after_commit
from shared.infra.clock import Clock
from shared.infra.db import Connection
from shared.infra.groupcommit import GroupCommit

log = logging.getLogger(__name__)

OUTAGES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
"""Database or network trouble: logged, and the work is done again later."""


@dataclass(frozen=True)
class _Answer:
    """A carrier's answer about one registration of a shipment."""

    shipment_id: str
    generation: int
    outcome: TrackOutcome
    source: str
    """``poll`` or ``push``."""
    raw: bytes | None

    @property
    def label(self) -> str:
        """What the shipment keeps as its ``last_outcome``."""
        return type(self.outcome).__name__ if self.source == "poll" else "push"


def _log_unwritten(answer: _Answer, exc: Exception) -> None:
    ids = {"shipment_id": answer.shipment_id}
    if isinstance(exc, OUTAGES):
        reason = type(exc).__name__
        log.warning("could not record a poll; polled again after its lease: %s", reason, extra=ids)
    else:
        log.error("recording a poll failed; polled again after its lease", exc_info=exc, extra=ids)


@dataclass
class _Batch:
    """What the consumer's transaction on ``conn`` knows and has decided (see ``lock``)."""

    conn: Connection
    shipments: dict[str, Shipment]
    """The batch's shipments as they stand, locked: read at first, then as registered."""
    registered: list[Result] = field(default_factory=list)


_BATCH: ContextVar[_Batch | None] = ContextVar("poller_batch", default=None)


def _batch(conn: Connection) -> _Batch:
    batch = _BATCH.get()
    if batch is None or batch.conn is not conn:
        raise RuntimeError("a poller handler ran without the consumer's lock (prepare)")
    return batch


@dataclass(frozen=True)
class Backlog:
    """What the gauges show: shipments still polled and how late each carrier's polls are."""

    active: list[tuple[str, str, int]]
    """``(carrier, status, count)``; status ``pending`` before the first scan."""
    lag: dict[str, float]
    """Seconds since the oldest due poll of each carrier (0 when none is due)."""


def poll_result(outcome: TrackOutcome, result: Result) -> str:
    """The ``result`` label of the polls metric."""
    if isinstance(outcome, ParsedShipment):
        return "updated" if result.events else "unchanged"
    if isinstance(outcome, NotFound):
        return "not_found"
    if isinstance(outcome, InvalidNumber):
        return "invalid"
    return "failed"


class PollerService:
    """Registers shipments and applies carrier answers to them."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        clock: Clock,
        policy: PollingPolicy,
        numbers: TrackingNumbers,
        skip_check_digits: bool,
        metrics: PollerMetrics,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._policy = policy
        self._numbers = numbers
        self._skip_check_digits = skip_check_digits
        self._metrics = metrics
        self._polls = GroupCommit[_Answer](self._write_polls)
        self._new_work: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def new_work(self, carrier: str) -> asyncio.Event:
        """Set once a registration of a ``carrier`` shipment committed (a first poll is due
        now): its worker, idle, claims again at once instead of at its next idle check."""
        return self._new_work[carrier]

    async def lock(self, conn: Connection, events: Sequence[CloudEvent[Any]]) -> None:
        """The consumer's ``prepare``: lock and read the shipments the batch registers, in
        one statement, before its handlers run."""
        ids = [e.data.shipment_id for e in events if isinstance(e.data, ShipmentRegistered)]
        _BATCH.set(_Batch(conn, await store.locked_all(conn, ids) if ids else {}))

    async def register(self, conn: Connection, data: ShipmentRegistered) -> Result | None:
        """Track a shipment (written by ``write``, in the caller's transaction); None when
        it names the number already tracked."""
        batch = _batch(conn)
        result = tracking.register(
            shipment_id=data.shipment_id,
            order_id=data.order_id,
            carrier=data.carrier,
            tracking_number=data.tracking_number,
            numbers=self._numbers,
            skip_check_digits=self._skip_check_digits,
            previous=batch.shipments.get(data.shipment_id),
            now=self._clock.now(),
        )
        if result is not None:
            batch.shipments[data.shipment_id] = result.shipment
            batch.registered.append(result)
            after_commit(lambda: self._registered(result))
        return result

    async def write(self, conn: Connection, events: Sequence[CloudEvent[Any]]) -> None:
        """The consumer's ``finish``: write what the batch's registrations decided."""
        await store.register(conn, _batch(conn).registered)

    async def claim(
        self, carrier: str, limit: int, *, lease: timedelta, worker: str
    ) -> list[Shipment]:
        """Take up to ``limit`` due shipments of ``carrier`` for ``lease`` (committed at once)."""
        async with self._pool.acquire() as conn:
            return await store.claim(
                conn, carrier, limit, now=self._clock.now(), lease=lease, worker=worker
            )

    async def record_poll(
        self, shipment: Shipment, outcome: TrackOutcome, raw: bytes | None
    ) -> None:
        """Apply a poll's outcome for ``shipment`` (as claimed; nothing if it was
        re-registered or stopped meanwhile). Polls that finish while others are being
        written share the next transaction (:class:`~shared.infra.groupcommit.GroupCommit`);
        a poll that cannot be written is logged and polled again when its lease ends."""
        await self._polls.record(
            _Answer(shipment.shipment_id, shipment.generation, outcome, "poll", raw)
        )

    async def record_push(self, carrier: str, parsed: ParsedShipment, raw: bytes) -> int:
        """Apply a pushed answer to every polled shipment with its number; how many took it."""
        async with self._pool.acquire() as conn:
            targets = await store.active_with_number(conn, carrier, parsed.tracking_number)
        applied = await self._apply(
            [
                _Answer(shipment_id, generation, parsed, "push", raw)
                for shipment_id, generation in targets
            ]
        )
        for _, result in applied:
            self._count_events(result)
        return len(applied)

    async def backlog(self, carriers: Sequence[str]) -> Backlog:
        """Shipments still polled, and each carrier's poll lag, now."""
        async with self._pool.acquire() as conn:
            active = await store.active_by_status(conn)
            now = self._clock.now()
            lag = {}
            for carrier in carriers:
                oldest = await store.oldest_due(conn, carrier, now)
                lag[carrier] = (now - oldest).total_seconds() if oldest else 0.0
        return Backlog(active, lag)

    async def _write_polls(self, answers: Sequence[_Answer]) -> None:
        """Write polls together; if that fails, one by one, so that a poll's trouble stays
        its own (one that fails alone is logged: its lease ends, and it is polled again)."""
        try:
            applied = await self._apply(answers)
        except Exception as exc:
            if len(answers) > 1:
                for answer in answers:
                    await self._write_polls([answer])
                return
            _log_unwritten(answers[0], exc)
            return
        for answer, result in applied:
            self._count_events(result)
            label = poll_result(answer.outcome, result)
            self._metrics.polls.labels(result.shipment.carrier, label).inc()

    async def _apply(self, answers: Sequence[_Answer]) -> list[tuple[_Answer, Result]]:
        """Answers, in one transaction under their shipments' row locks; an answer for a
        shipment re-registered or stopped meanwhile does nothing."""
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            shipments = await store.locked_all(conn, [a.shipment_id for a in answers])
            known = await store.known_fingerprints(
                conn, [(s.shipment_id, s.generation) for s in shipments.values()]
            )
            applied: list[tuple[_Answer, Result]] = []
            for answer in answers:
                shipment = shipments.get(answer.shipment_id)
                if (
                    shipment is None
                    or shipment.generation != answer.generation
                    or shipment.lifecycle is not Lifecycle.ACTIVE
                ):
                    continue
                seen = known[answer.shipment_id]
                result = tracking.answer(
                    shipment, answer.outcome, frozenset(seen), self._policy, now
                )
                shipments[answer.shipment_id] = result.shipment
                seen.update(item.fingerprint for item in result.scans)
                applied.append((answer, result))
            await store.save(
                conn,
                [store.AnswerWrite(r, a.source, a.raw, a.label) for a, r in applied],
                now=now,
            )
        return applied

    def _registered(self, result: Result) -> None:
        self._count_events(result)
        if result.next_poll_at is not None:
            self._new_work[result.shipment.carrier].set()

    def _count_events(self, result: Result) -> None:
        for event in result.events:
            self._metrics.events.labels(event.type).inc()
