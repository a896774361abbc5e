"""The per-carrier circuit breaker."""

import pytest

from services.poller.breaker import CircuitBreaker, State


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _opened(ticker: Ticker) -> CircuitBreaker:
    breaker = CircuitBreaker(3, 60.0, monotonic=ticker)
    for _ in range(3):
        breaker.failure()
    return breaker


def test_consecutive_failures_open_the_circuit() -> None:
    breaker = CircuitBreaker(3, 60.0, monotonic=Ticker())
    breaker.failure()
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert breaker.state is State.OPEN
    assert not breaker.allow()


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(3, 60.0, monotonic=Ticker())
    for _ in range(2):
        breaker.failure()
    breaker.success()
    for _ in range(2):
        breaker.failure()
    assert breaker.state is State.CLOSED


def test_after_the_cooldown_one_probe_goes_through() -> None:
    ticker = Ticker()
    breaker = _opened(ticker)
    ticker.now = 59.0
    assert breaker.retry_in() == pytest.approx(1.0)
    assert not breaker.allow()
    ticker.now = 60.0
    assert breaker.state is State.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()


def test_a_successful_probe_closes_the_circuit() -> None:
    ticker = Ticker()
    breaker = _opened(ticker)
    ticker.now = 60.0
    assert breaker.allow()
    breaker.success()
    assert breaker.state is State.CLOSED
    assert breaker.allow()


def test_a_failed_probe_opens_it_again_for_a_full_cooldown() -> None:
    ticker = Ticker()
    breaker = _opened(ticker)
    ticker.now = 60.0
    assert breaker.allow()
    breaker.failure()
    assert breaker.state is State.OPEN
    assert breaker.retry_in() == 60.0


def test_an_abandoned_probe_lets_the_next_one_through() -> None:
    ticker = Ticker()
    breaker = _opened(ticker)
    ticker.now = 60.0
    assert breaker.allow()
    breaker.abandon()
    assert breaker.allow()
