"""A clock tests move by hand, and a watermark that is never held back."""

from datetime import datetime, timedelta

from shared.infra.clock import Clock
from shared.infra.watermark import Position, Watermark


class FakeClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, delta: timedelta) -> None:
        self._now += delta


async def _no_backlog() -> list[Position]:
    return []


def caught_up(clock: Clock) -> Watermark:
    """A watermark of consumers that are never behind: verdicts at ``clock``'s now."""
    return Watermark(clock, _no_backlog)
