"""Calls to one carrier: rate limit, circuit breaker, retries with backoff, raw bodies kept.

A carrier client answers with typed outcomes; this module decides what to do with a
failed call: 429 pauses the carrier's limiter for ``Retry-After`` (or a backoff) and
retries; 5xx and timeouts count against the breaker and retry with backoff (honouring
``Retry-After``); auth failures and malformed bodies count against the breaker and are
not retried. A retry that would wait longer than ``max_wait`` is left to the scheduler.
Each attempt has a whole-call deadline (token request, 401 retry and the full body
included): httpx's timeouts are per read, so a body trickling in would otherwise never end.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.poller.breaker import CircuitBreaker, State
from services.poller.carriers.base import (
    AuthFailed,
    CallFailure,
    CarrierClient,
    CarrierDown,
    FailureReason,
    Malformed,
    RateLimited,
    TrackOutcome,
)
from services.poller.metrics import PollerMetrics
from services.poller.ratelimit import RateLimiter
from shared.infra.backoff import backoff

_OUTCOME: Mapping[type[Any], str] = {
    RateLimited: "rate_limited",
    CarrierDown: "carrier_down",
    AuthFailed: "auth_failed",
    Malformed: "malformed",
}


def failure_reason(failure: CallFailure) -> FailureReason:
    """The ``reason`` label of a failed attempt."""
    if isinstance(failure, RateLimited):
        return FailureReason.RATE_LIMITED
    if isinstance(failure, AuthFailed):
        return FailureReason.AUTH
    return failure.reason


@dataclass(frozen=True)
class RetryPolicy:
    """In-call retries of 429, 5xx and timeouts."""

    retries: int = 3
    backoff: float = 1.0
    """First backoff in seconds; doubles with each attempt (with jitter)."""
    max_wait: float = 30.0
    """Longest wait worth holding a claimed batch for; longer ones are rescheduled."""

    def wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return backoff(attempt, self.backoff)


@dataclass(frozen=True)
class Answer:
    """Outcomes of one call, by requested number, and the body of the tracking response."""

    outcomes: dict[str, TrackOutcome]
    raw: bytes | None


@dataclass
class _Call:
    carrier: str
    responses: list[httpx.Response] = field(default_factory=list)


_CALL: ContextVar[_Call | None] = ContextVar("poller_carrier_call", default=None)


@contextmanager
def _capturing(carrier: str) -> Iterator[_Call]:
    call = _Call(carrier)
    token = _CALL.set(call)
    try:
        yield call
    finally:
        _CALL.reset(token)


def http_hooks(metrics: PollerMetrics) -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """Event hooks of the carriers' HTTP client: count token requests, keep response bodies.

    Carrier clients own their requests, so the poller watches them: a request to a path
    ending in ``/token`` is a token refresh (UPS, FedEx and USPS all name theirs so).
    """

    async def on_request(request: httpx.Request) -> None:
        call = _CALL.get()
        if call is not None and request.url.path.endswith("/token"):
            metrics.token_refreshes.labels(call.carrier).inc()

    async def on_response(response: httpx.Response) -> None:
        call = _CALL.get()
        if call is not None:
            await response.aread()
            call.responses.append(response)

    return {"request": [on_request], "response": [on_response]}


def call_failure(outcomes: Mapping[str, TrackOutcome]) -> CallFailure | None:
    """The failure of the whole call, when every number carries one (else None)."""
    failures = [
        o
        for o in outcomes.values()
        if isinstance(o, RateLimited | CarrierDown | AuthFailed | Malformed)
    ]
    return failures[0] if failures and len(failures) == len(outcomes) else None


class CarrierGateway:
    """Tracks batches of one carrier's numbers under its limiter and breaker."""

    def __init__(
        self,
        carrier: str,
        client: CarrierClient,
        *,
        limiter: RateLimiter,
        breaker: CircuitBreaker,
        metrics: PollerMetrics,
        retry: RetryPolicy,
        deadline: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.carrier = carrier
        self.client = client
        self.limiter = limiter
        self.breaker = breaker
        self._metrics = metrics
        self._retry = retry
        self._deadline = deadline
        self._sleep = sleep

    async def track(self, numbers: Sequence[str]) -> Answer:
        """Call once under a limiter permit the caller already took; retry what is worth it.

        Every call ends by telling the breaker: a success, a failure, or (a 429, or an
        exception) nothing, which releases a half-open probe for the next caller.
        """
        try:
            return await self._track(numbers)
        except BaseException:
            self.breaker.abandon()
            raise

    async def _track(self, numbers: Sequence[str]) -> Answer:
        attempt = 1
        while True:
            answer = await self._call(numbers)
            failure = call_failure(answer.outcomes)
            self._metrics.api_calls.labels(self.carrier, _OUTCOME.get(type(failure), "ok")).inc()
            if failure is None:
                self.breaker.success()
                return answer
            reason = failure_reason(failure)
            self._metrics.api_failures.labels(self.carrier, reason).inc()
            if not isinstance(failure, RateLimited | CarrierDown):
                self.breaker.failure()
                return answer
            wait = self._retry.wait(attempt, failure.retry_after)
            if isinstance(failure, RateLimited):
                self.limiter.pause(wait)
            else:
                self.breaker.failure()
            if (
                attempt > self._retry.retries
                or max(wait, self.limiter.delay()) > self._retry.max_wait
                or self.breaker.state is not State.CLOSED
            ):
                self.breaker.abandon()
                return answer
            self._metrics.api_retries.labels(self.carrier, reason).inc()
            if isinstance(failure, CarrierDown):
                await self._sleep(wait)
            await self.limiter.acquire()
            attempt += 1

    async def _call(self, numbers: Sequence[str]) -> Answer:
        """One attempt, cut off at the deadline."""
        with _capturing(self.carrier) as call:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self._deadline):
                    outcomes = await self.client.track(numbers)
            except TimeoutError:
                late = CarrierDown(
                    f"no complete answer within {self._deadline:g} s",
                    reason=FailureReason.DEADLINE,
                )
                return Answer(dict.fromkeys(numbers, late), None)
            finally:
                elapsed = time.perf_counter() - started
                self._metrics.api_seconds.labels(self.carrier).observe(elapsed)
        raw = call.responses[-1].content if call.responses else None
        return Answer(outcomes, raw)
