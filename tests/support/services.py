"""Run a built service in-process for a test, and stop it cleanly afterwards."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from shared.infra.service import Service, run


@contextlib.asynccontextmanager
async def running(service: Service) -> AsyncIterator[Service]:
    """Start ``service`` (consumers, relay, HTTP) and stop it on exit, as SIGTERM would."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(service, stop))
    try:
        while not service.broker.running and not task.done():  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)
        if task.done():
            task.result()
        yield service
    finally:
        stop.set()
        await task
