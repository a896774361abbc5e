"""Carrier calls: retries on 429/5xx/timeouts, Retry-After, breaker, raw bodies, token metric."""

import json
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from services.poller.breaker import CircuitBreaker, State
from services.poller.carriers.base import (
    AuthFailed,
    CarrierDown,
    Malformed,
    ParsedShipment,
    RateLimited,
    TrackOutcome,
)
from services.poller.carriers.ups.client import UpsClient
from services.poller.carriers.ups.settings import UpsClientSettings
from services.poller.gateway import CarrierGateway, RetryPolicy, http_hooks
from services.poller.metrics import PollerMetrics
from services.poller.ratelimit import RateLimiter, parse_rates
from shared.contracts.statuses import TrackingStatus
from tests.unit.poller.fakes import FakeTime

NUMBER = "1Z5R89390357567127"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "carriers" / "ups"
OK = ParsedShipment("ups", NUMBER, TrackingStatus.IN_TRANSIT)


class Scripted:
    """A carrier client answering from a script, one outcome per call."""

    max_batch = 1

    def __init__(self, *answers: TrackOutcome) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def track(self, numbers: Sequence[str]) -> dict[str, TrackOutcome]:
        self.calls += 1
        return dict.fromkeys(numbers, self.answers.pop(0))


def _gateway(
    client: Scripted | UpsClient,
    time: FakeTime,
    *,
    metrics: PollerMetrics | None = None,
    retries: int = 3,
    threshold: int = 5,
) -> CarrierGateway:
    return CarrierGateway(
        "ups",
        client,
        limiter=RateLimiter(parse_rates("100/s"), monotonic=time.monotonic, sleep=time.sleep),
        breaker=CircuitBreaker(threshold, 60.0, monotonic=time.monotonic),
        metrics=metrics or PollerMetrics(CollectorRegistry()),
        retry=RetryPolicy(retries=retries, backoff=1.0, max_wait=30.0),
        sleep=time.sleep,
    )


def _calls(metrics: PollerMetrics) -> dict[str, float]:
    return {
        s.labels["outcome"]: s.value
        for m in metrics.api_calls.collect()
        for s in m.samples
        if s.name.endswith("_total")
    }


async def test_a_429_pauses_the_carrier_for_retry_after_then_retries() -> None:
    time = FakeTime()
    metrics = PollerMetrics(CollectorRegistry())
    client = Scripted(RateLimited("429", 7.0), OK)
    answer = await _gateway(client, time, metrics=metrics).track([NUMBER])
    assert answer.outcomes == {NUMBER: OK}
    assert time.now == pytest.approx(1007.0)
    assert _calls(metrics) == {"rate_limited": 1.0, "ok": 1.0}


async def test_server_errors_retry_with_growing_backoff_and_honour_retry_after() -> None:
    time = FakeTime()
    client = Scripted(CarrierDown("500"), CarrierDown("503", 4.0), CarrierDown("timeout"), OK)
    answer = await _gateway(client, time).track([NUMBER])
    assert answer.outcomes[NUMBER] is OK
    first, second, third = time.slept
    assert 0.5 <= first <= 1.0 and second == 4.0 and 2.0 <= third <= 4.0


async def test_retries_are_bounded_and_the_failure_is_returned() -> None:
    time = FakeTime()
    client = Scripted(*[CarrierDown("500")] * 3)
    answer = await _gateway(client, time, retries=2).track([NUMBER])
    assert isinstance(answer.outcomes[NUMBER], CarrierDown)
    assert client.calls == 3


async def test_a_retry_after_longer_than_worth_waiting_is_left_to_the_scheduler() -> None:
    time = FakeTime()
    gateway = _gateway(Scripted(RateLimited("429", 3600.0)), time)
    answer = await gateway.track([NUMBER])
    assert isinstance(answer.outcomes[NUMBER], RateLimited)
    assert time.slept == []
    assert gateway.limiter.delay() == pytest.approx(3600.0)


@pytest.mark.parametrize("failure", [AuthFailed("401"), Malformed("not JSON")])
async def test_auth_failures_and_malformed_bodies_are_not_retried(
    failure: AuthFailed | Malformed,
) -> None:
    client = Scripted(failure)
    gateway = _gateway(client, FakeTime(), threshold=1)
    answer = await gateway.track([NUMBER])
    assert answer.outcomes[NUMBER] is failure and client.calls == 1
    assert gateway.breaker.state is State.OPEN


async def test_failures_open_the_breaker_which_stops_the_retries() -> None:
    client = Scripted(*[CarrierDown("500")] * 5)
    gateway = _gateway(client, FakeTime(), threshold=2)
    await gateway.track([NUMBER])
    assert client.calls == 2
    assert gateway.breaker.state is State.OPEN


async def test_rate_limits_do_not_count_against_the_breaker() -> None:
    client = Scripted(*[RateLimited("429", 1.0)] * 3, OK)
    gateway = _gateway(client, FakeTime(), threshold=1)
    await gateway.track([NUMBER])
    assert gateway.breaker.state is State.CLOSED


async def test_the_tracking_response_body_is_kept_and_token_requests_are_counted() -> None:
    body = (FIXTURES / "delivered.json").read_bytes()

    async def carrier(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": "14399"})
        return httpx.Response(200, content=body)

    registry = CollectorRegistry()
    metrics = PollerMetrics(registry)
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(carrier), event_hooks=http_hooks(metrics)
    ) as http:
        settings = UpsClientSettings(
            base_url="https://ups.test", client_id="i", client_secret=SecretStr("s")
        )
        gateway = _gateway(UpsClient(settings, http), FakeTime(), metrics=metrics)
        answer = await gateway.track([NUMBER])
        again = await gateway.track([NUMBER])
    assert json.loads(answer.raw or b"") == json.loads(body)
    assert again.raw == answer.raw
    assert isinstance(answer.outcomes[NUMBER], ParsedShipment)
    refreshes = registry.get_sample_value(
        "parcelwatch_poller_token_refreshes_total", {"carrier": "ups"}
    )
    assert refreshes == 1


async def test_a_probe_answered_429_lets_the_next_probe_through() -> None:
    time = FakeTime()
    client = Scripted(*[CarrierDown("500")] * 2, RateLimited("429", 3600.0))
    gateway = _gateway(client, time, retries=0, threshold=2)
    await gateway.track([NUMBER])
    await gateway.track([NUMBER])
    assert gateway.breaker.state is State.OPEN
    time.now += 60.0
    assert gateway.breaker.allow()
    await gateway.track([NUMBER])
    assert gateway.breaker.allow()


async def test_a_probe_that_raises_lets_the_next_probe_through() -> None:
    time = FakeTime()
    gateway = _gateway(Scripted(), time, threshold=1)
    gateway.breaker.failure()
    time.now += 60.0
    assert gateway.breaker.allow()
    with pytest.raises(IndexError):
        await gateway.track([NUMBER])
    assert gateway.breaker.allow()
