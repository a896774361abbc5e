"""The shared waiting rules: backoff with jitter, and loops that stop at once."""

import asyncio
import time

from shared.infra.backoff import backoff
from shared.infra.periodic import every, sleep_unless


def test_backoff_doubles_from_the_initial_wait_up_to_the_cap() -> None:
    assert [backoff(n, 0.2, chance=0.0) for n in (1, 2, 3)] == [0.1, 0.2, 0.4]
    assert backoff(10, 0.2, 30.0, chance=0.0) == 15.0  # 0.2 x 2^9 = 102.4, capped at 30


def test_backoff_jitter_stays_between_half_and_the_whole_ceiling() -> None:
    waits = [backoff(3, 1.0) for _ in range(200)]
    assert all(2.0 <= wait <= 4.0 for wait in waits)
    assert len(set(waits)) > 1  # spread, not one value
    assert backoff(3, 1.0, chance=0.5) == 3.0


async def test_every_runs_at_once_then_each_interval_until_stopped() -> None:
    stop = asyncio.Event()
    runs: list[float] = []

    async def action() -> None:
        runs.append(time.monotonic())
        if len(runs) == 3:
            stop.set()

    started = time.monotonic()
    await asyncio.wait_for(every(0.01, stop, action), 5)
    assert len(runs) == 3
    assert runs[0] - started < 1.0


async def test_sleep_unless_ends_when_stop_is_set() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, stop.set)
    await asyncio.wait_for(sleep_unless(stop, 3600), 5)
    assert stop.is_set()
