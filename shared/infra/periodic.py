"""Background loops that stop at once: a sleep that ends when the stop event is set."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or only until ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def every(
    interval: float, stop: asyncio.Event, action: Callable[[], Awaitable[object]]
) -> None:
    """Run ``action`` now, then every ``interval`` seconds after it ends, until ``stop``.

    ``action`` handles (and logs) its own failures: one that raises ends the loop.
    """
    while not stop.is_set():
        await action()
        await sleep_unless(stop, interval)
