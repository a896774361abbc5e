"""Carrier calls under faults: a whole-call deadline against trickling bodies, failures and
retries counted by reason, breaker transitions reported, Retry-After capped."""

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from services.poller.breaker import CircuitBreaker, State
from services.poller.carriers.base import (
    CarrierDown,
    FailureReason,
    Malformed,
    ParsedShipment,
    TrackOutcome,
)
from services.poller.carriers.ups.client import UpsClient
from services.poller.carriers.ups.settings import UpsClientSettings
from services.poller.gateway import CarrierGateway, RetryPolicy, http_hooks
from services.poller.metrics import PollerMetrics
from services.poller.ratelimit import RateLimiter, parse_rates
from services.poller.scheduler import PollingPolicy, PollState, after_failure
from shared.contracts.statuses import TrackingStatus
from tests.unit.poller.fakes import FakeTime

NUMBER = "1Z5R89390357567127"
OK = ParsedShipment("ups", NUMBER, TrackingStatus.IN_TRANSIT)


class Scripted:
    """A carrier client answering from a script, one outcome per call."""

    max_batch = 1

    def __init__(self, *answers: TrackOutcome) -> None:
        self.answers = list(answers)

    async def track(self, numbers: Sequence[str]) -> dict[str, TrackOutcome]:
        return dict.fromkeys(numbers, self.answers.pop(0))


def _gateway(
    client: Scripted | UpsClient,
    metrics: PollerMetrics,
    *,
    retries: int = 3,
    deadline: float = 30.0,
    breaker: CircuitBreaker | None = None,
) -> CarrierGateway:
    fake = FakeTime()
    return CarrierGateway(
        "ups",
        client,
        limiter=RateLimiter(parse_rates("100/s")),
        breaker=breaker or CircuitBreaker(5, 60.0),
        metrics=metrics,
        retry=RetryPolicy(retries=retries, backoff=0.01, max_wait=30.0),
        deadline=deadline,
        sleep=fake.sleep,
    )


def _by_reason(registry: CollectorRegistry, name: str) -> dict[str, float]:
    return {
        s.labels["reason"]: s.value
        for m in registry.collect()
        for s in m.samples
        if s.name == name and s.value
    }


async def _trickle() -> AsyncIterator[bytes]:
    while True:  # a byte every 50 ms, forever: no single read ever times out
        yield b" "
        await asyncio.sleep(0.05)


async def test_a_body_that_trickles_forever_is_cut_off_at_the_deadline() -> None:
    async def carrier(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(200, content=_trickle())

    registry = CollectorRegistry()
    metrics = PollerMetrics(registry)
    settings = UpsClientSettings(
        base_url="https://ups.test", client_id="i", client_secret=SecretStr("s")
    )
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(carrier), timeout=5.0, event_hooks=http_hooks(metrics)
    ) as http:
        gateway = _gateway(UpsClient(settings, http), metrics, retries=1, deadline=0.3)
        started = time.monotonic()
        answer = await gateway.track([NUMBER])
        elapsed = time.monotonic() - started

    outcome = answer.outcomes[NUMBER]
    assert isinstance(outcome, CarrierDown) and outcome.reason is FailureReason.DEADLINE
    assert 0.6 <= elapsed < 2.0  # two attempts of 0.3 s, not a read timeout of 5 s
    assert _by_reason(registry, "parcelwatch_poller_api_failures_total") == {"deadline": 2.0}
    assert _by_reason(registry, "parcelwatch_poller_api_retries_total") == {"deadline": 1.0}


async def test_failures_are_counted_by_reason_and_only_retriable_ones_retried() -> None:
    registry = CollectorRegistry()
    metrics = PollerMetrics(registry)
    client = Scripted(
        CarrierDown("HTTP 500"),
        CarrierDown("timeout: ReadTimeout", reason=FailureReason.TIMEOUT),
        OK,
        Malformed("too big", FailureReason.TOO_LARGE),
        Malformed("unrecognized", FailureReason.UNKNOWN_ERROR),
        Malformed("HTTP 200: body is not JSON", FailureReason.NOT_JSON),
    )
    gateway = _gateway(client, metrics)

    outcomes = [(await gateway.track([NUMBER])).outcomes[NUMBER] for _ in range(4)]

    assert outcomes[0] is OK and all(isinstance(o, Malformed) for o in outcomes[1:])
    assert _by_reason(registry, "parcelwatch_poller_api_failures_total") == {
        "server_error": 1.0,
        "timeout": 1.0,
        "too_large": 1.0,
        "unknown_error": 1.0,
        "not_json": 1.0,
    }
    assert _by_reason(registry, "parcelwatch_poller_api_retries_total") == {
        "server_error": 1.0,
        "timeout": 1.0,
    }


async def test_the_breaker_reports_open_half_open_and_closed() -> None:
    fake = FakeTime()
    moves: list[State] = []
    breaker = CircuitBreaker(2, 10.0, monotonic=fake.monotonic, on_change=moves.append)

    breaker.failure()
    breaker.failure()
    fake.now += 10.0
    assert breaker.allow()
    breaker.failure()
    fake.now += 10.0
    assert breaker.allow()
    breaker.success()

    assert moves == [State.OPEN, State.HALF_OPEN, State.OPEN, State.HALF_OPEN, State.CLOSED]


def test_a_retry_after_beyond_the_longest_interval_is_capped() -> None:
    now = datetime(2024, 5, 6, 12, tzinfo=UTC)
    state = PollState(status=None, tracked_since=now, last_change_at=now, not_found_since=None)
    policy = PollingPolicy()

    year = after_failure(state, policy, now, retry_after=365 * 86400.0)
    minute = after_failure(state, policy, now, retry_after=60.0)

    assert year.next_poll_at == now + policy.max_interval
    assert minute.next_poll_at == now + timedelta(seconds=60)
