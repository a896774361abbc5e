"""Background loops that stop at once: a sleep that ends when the stop event is set."""

import asyncio
from collections.abc import Awaitable, Callable


async def sleep_unless(
    stop: asyncio.Event, seconds: float, *, wake: asyncio.Event | None = None
) -> None:
    """Wait ``seconds``, or only until ``stop`` is set (or ``wake``: new work came)."""
    waiters = [asyncio.create_task(event.wait()) for event in (stop, wake) if event is not None]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def every(
    interval: float, stop: asyncio.Event, action: Callable[[], Awaitable[object]]
) -> None:
    """Run ``action`` now, then every ``interval`` seconds after it ends, until ``stop``.

    ``action`` handles (and logs) its own failures: one that raises ends the loop.
    """
    while not stop.is_set():
        await action()
        await sleep_unless(stop, interval)
