"""The polling loops: claim due shipments, call the carrier, have the service write the answers.

Per carrier, one loop claims a batch (``max_batch`` numbers: FedEx 30, others 1) once a
concurrency slot, the circuit breaker and the rate limiter all allow a call, and polls it
in a task of its own; the slot is free again once the carrier answered, while the answers
are written (``concurrency`` bounds the calls in flight at the carrier, not the writes).
The claim pushes ``next_poll_at`` forward by a lease inside the claiming transaction (``FOR
UPDATE SKIP LOCKED``), so replicas never poll the same shipment at once; the answers are
written afterwards by the service, the polls that finish together in one transaction. An
idle loop looks again every ``idle_interval``, or at once when this replica registered one
of its carrier's shipments.
"""

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from services.poller.breaker import State
from services.poller.carriers.base import CarrierDown, Malformed, ParsedShipment, ProblemCode
from services.poller.gateway import Answer, CarrierGateway
from services.poller.metrics import PollerMetrics
from services.poller.service import OUTAGES, PollerService
from services.poller.tracking import Shipment
from shared.infra.periodic import every, sleep_unless

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSettings:
    """How this process claims work."""

    worker_id: str
    lease: timedelta
    """In the clock's time (the real lease times ``CLOCK_SCALE``)."""
    idle_interval: float


class CarrierWorker:
    """Polls one carrier's due shipments, ``concurrency`` calls at a time."""

    def __init__(
        self,
        gateway: CarrierGateway,
        *,
        service: PollerService,
        metrics: PollerMetrics,
        concurrency: int,
        settings: WorkerSettings,
    ) -> None:
        self.gateway = gateway
        self.carrier = gateway.carrier
        self._service = service
        self._metrics = metrics
        self._settings = settings
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``; then claim nothing more and finish the batches in hand.

        A claim is never interrupted: cancelling it after its commit would leave the
        shipments leased, unpolled until the lease ends."""
        await self._claim_until(stop)
        await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _claim_until(self, stop: asyncio.Event) -> None:
        new_work = self._service.new_work(self.carrier)
        while not stop.is_set():
            await self._slots.acquire()
            new_work.clear()  # a registration committed from now on wakes the idle wait
            started = False
            try:
                started = await self._start_batch(stop)
            except OUTAGES as exc:
                log.warning(
                    "claiming failed: %s", type(exc).__name__, extra={"carrier": self.carrier}
                )
            except Exception:
                log.exception("claiming failed", extra={"carrier": self.carrier})
            finally:
                if not started:
                    self._slots.release()
            if not started:
                await sleep_unless(stop, self._settings.idle_interval, wake=new_work)

    async def _start_batch(self, stop: asyncio.Event) -> bool:
        """Claim a batch and poll it in the background; False when there is nothing to do."""
        breaker, limiter = self.gateway.breaker, self.gateway.limiter
        if not breaker.allow():
            return False
        permit = await _unless_stopped(limiter.acquire(), stop)
        if permit is None:
            breaker.abandon()
            return False
        batch: list[Shipment] = []
        try:
            batch = await self._service.claim(
                self.carrier,
                self.gateway.client.max_batch,
                lease=self._settings.lease,
                worker=self._settings.worker_id,
            )
        finally:
            if not batch:
                limiter.refund(permit)
                breaker.abandon()
        if not batch:
            return False
        task = asyncio.create_task(self.poll(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return True

    async def poll(self, batch: list[Shipment]) -> None:
        """Call the carrier once for ``batch`` in the slot taken for it, free the slot, then
        have its shipments' results written (they join the polls being written together:
        one transaction, one pooled connection, however many numbers the answer holds)."""
        numbers = list(dict.fromkeys(s.tracking_number for s in batch))
        try:
            answer = await self.gateway.track(numbers)
        except Exception as exc:  # a client bug must not lose the batch: retry it later
            log.exception("carrier call failed", extra={"carrier": self.carrier})
            answer = Answer(dict.fromkeys(numbers, CarrierDown(f"{type(exc).__name__}")), None)
        finally:
            self._slots.release()
        self._count_problems(answer)
        await asyncio.gather(
            *(
                self._service.record_poll(
                    shipment,
                    answer.outcomes.get(shipment.tracking_number) or Malformed("no outcome"),
                    answer.raw,
                )
                for shipment in batch
            )
        )

    def _count_problems(self, answer: Answer) -> None:
        for outcome in answer.outcomes.values():
            if not isinstance(outcome, ParsedShipment):
                continue
            for problem in outcome.problems:
                if problem.code is ProblemCode.UNMAPPED_CODE:
                    self._metrics.unmapped_codes.labels(self.carrier).inc()
                elif problem.code is not ProblemCode.NOT_FOUND:
                    self._metrics.problems.labels(self.carrier, problem.code.value).inc()


class Poller:
    """Every configured carrier's worker, the shared HTTP client and the gauges."""

    def __init__(
        self,
        workers: list[CarrierWorker],
        *,
        http: httpx.AsyncClient,
        service: PollerService,
        metrics: PollerMetrics,
        stats_interval: float,
    ) -> None:
        self.workers = workers
        self._http = http
        self._service = service
        self._metrics = metrics
        self._stats_interval = stats_interval

    async def run(self, stop: asyncio.Event) -> None:
        """Run the workers and the gauges until ``stop``; close the HTTP client last."""
        try:
            await asyncio.gather(*(w.run(stop) for w in self.workers), self._gauges(stop))
        finally:
            await self._http.aclose()

    async def refresh_gauges(self) -> None:
        """Shipments by status, poll lag and breaker state, from the database now."""
        backlog = await self._service.backlog([w.carrier for w in self.workers])
        self._metrics.shipments.clear()
        for carrier, status, count in backlog.active:
            self._metrics.shipments.labels(carrier, status).set(count)
        for worker in self.workers:
            self._metrics.poll_lag.labels(worker.carrier).set(backlog.lag[worker.carrier])
            closed = worker.gateway.breaker.state is State.CLOSED
            self._metrics.breaker_open.labels(worker.carrier).set(0 if closed else 1)

    async def _gauges(self, stop: asyncio.Event) -> None:
        await every(self._stats_interval, stop, self._refresh_logged)

    async def _refresh_logged(self) -> None:
        try:
            await self.refresh_gauges()
        except OUTAGES as exc:
            log.warning("gauges not refreshed: %s", type(exc).__name__)


async def _unless_stopped(waiting: Coroutine[Any, Any, float], stop: asyncio.Event) -> float | None:
    """The result of ``waiting`` (a rate-limit wait, safe to cancel), or None if ``stop``
    is set first."""
    task = asyncio.ensure_future(waiting)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    return None
