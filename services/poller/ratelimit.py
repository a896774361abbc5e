"""Per-carrier request limits: sliding windows (``10/s``, ``250/d``) and ``Retry-After`` pauses.

A sliding window admits at most ``count`` calls in any ``period``, which is what a
carrier's quota promises (a token bucket would allow twice the count across a refill).
Limits hold per process: with N replicas give each ``quota / N``.
"""

import asyncio
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*\.?\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    """At most ``count`` calls in any ``period`` seconds."""

    count: int
    period: float


def parse_rates(text: str) -> tuple[Rate, ...]:
    """``"1/s, 250/d"`` or ``"1400/10s"`` to rates; empty text means unlimited."""
    rates = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        found = _RATE.match(part)
        if found is None:
            raise ValueError(f"rate {part!r} is not COUNT/[N]UNIT with UNIT one of s, m, h, d")
        count, multiple, unit = int(found[1]), float(found[2] or 1), found[3]
        if count < 1 or multiple <= 0:
            raise ValueError(f"rate {part!r} must allow at least one call per positive period")
        rates.append(Rate(count, multiple * _UNITS[unit]))
    return tuple(rates)


class RateLimiter:
    """Admits calls within every rate and after any pause a carrier asked for.

    Waiters are served in arrival order. ``acquire`` returns a permit that
    :meth:`refund` gives back when the call was not made after all.
    """

    def __init__(
        self,
        rates: Sequence[Rate],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self._windows = [(rate, deque[float]()) for rate in rates]
        self._monotonic = monotonic
        self._sleep = sleep
        self._on_wait = on_wait
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Admit nothing for ``seconds`` (a ``Retry-After``); pauses never shorten."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def delay(self) -> float:
        """Seconds a call made now would wait."""
        now = self._monotonic()
        waits = [self._paused_until - now]
        for rate, calls in self._windows:
            while calls and calls[0] <= now - rate.period:
                calls.popleft()
            if len(calls) >= rate.count:
                waits.append(calls[len(calls) - rate.count] + rate.period - now)
        return max(0.0, *waits)

    async def acquire(self) -> float:
        """Wait for a slot and take it; returns the permit (the admission time)."""
        async with self._lock:
            waited = 0.0
            while (wait := self.delay()) > 0:
                waited += wait
                await self._sleep(wait)
            if waited and self._on_wait is not None:
                self._on_wait(waited)
            admitted = self._monotonic()
            for _, calls in self._windows:
                calls.append(admitted)
            return admitted

    def refund(self, permit: float) -> None:
        """Give back a permit whose call was not made."""
        for _, calls in self._windows:
            if permit in calls:
                calls.remove(permit)
