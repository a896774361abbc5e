"""Sliding-window rate limits and Retry-After pauses, on a fake clock."""

import asyncio

import pytest

from services.poller.ratelimit import Rate, RateLimiter, parse_rates
from tests.unit.poller.fakes import FakeTime


def _limiter(text: str, time: FakeTime, waits: list[float] | None = None) -> RateLimiter:
    return RateLimiter(
        parse_rates(text),
        monotonic=time.monotonic,
        sleep=time.sleep,
        on_wait=waits.append if waits is not None else None,
    )


@pytest.mark.parametrize(
    ("text", "rates"),
    [
        ("10/s", (Rate(10, 1.0),)),
        ("1400/10s", (Rate(1400, 10.0),)),
        ("60/h", (Rate(60, 3600.0),)),
        ("1/s, 250/d", (Rate(1, 1.0), Rate(250, 86400.0))),
        ("5/0.5s", (Rate(5, 0.5),)),
        ("", ()),
    ],
)
def test_rates_parse_from_count_per_period(text: str, rates: tuple[Rate, ...]) -> None:
    assert parse_rates(text) == rates


@pytest.mark.parametrize("text", ["10", "10/x", "0/s", "ten/s", "1/0s"])
def test_malformed_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rates(text)


async def test_calls_within_the_count_pass_and_the_next_waits_for_the_window() -> None:
    time = FakeTime()
    waits: list[float] = []
    limiter = _limiter("3/10s", time, waits)
    admitted = [await limiter.acquire() for _ in range(4)]
    assert admitted == [1000.0, 1000.0, 1000.0, 1010.0]
    assert waits == [10.0]


async def test_no_window_of_the_period_ever_holds_more_than_the_count() -> None:
    time = FakeTime()
    limiter = _limiter("5/s, 12/10s", time)
    admitted = []
    for _ in range(40):
        admitted.append(await limiter.acquire())
        time.now += 0.05
    for start in admitted:
        assert sum(start <= t < start + 1 for t in admitted) <= 5
        assert sum(start <= t < start + 10 for t in admitted) <= 12


async def test_a_pause_holds_every_call_until_it_ends_and_never_shortens() -> None:
    time = FakeTime()
    limiter = _limiter("100/s", time)
    limiter.pause(30)
    limiter.pause(5)
    assert limiter.delay() == 30
    assert await limiter.acquire() == 1030.0


async def test_a_refunded_permit_frees_its_slot() -> None:
    time = FakeTime()
    limiter = _limiter("1/h", time)
    permit = await limiter.acquire()
    assert limiter.delay() == 3600
    limiter.refund(permit)
    assert limiter.delay() == 0


async def test_an_unlimited_limiter_never_waits() -> None:
    time = FakeTime()
    limiter = _limiter("", time)
    await asyncio.gather(*(limiter.acquire() for _ in range(100)))
    assert time.slept == []
