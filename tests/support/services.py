"""Run a built service in-process for a test, and stop it cleanly afterwards."""

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator

from shared.infra.service import Service, run

STOP_DEADLINE = 120.0
"""Seconds a service may take to stop (it finishes what it holds, retries included)."""


@contextlib.asynccontextmanager
async def running(service: Service) -> AsyncIterator[Service]:
    """Start ``service`` (consumers, relay, HTTP) and stop it on exit, as SIGTERM would; a
    stop that takes longer than ``STOP_DEADLINE`` fails with every task's stack."""
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
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_DEADLINE)
        except TimeoutError:
            raise AssertionError(
                f"{service.name} did not stop within {STOP_DEADLINE:.0f} s; its tasks:\n"
                + task_stacks()
            ) from None


def task_stacks() -> str:
    """Every asyncio task of this loop with the stack it waits in."""
    out = io.StringIO()
    for each in asyncio.all_tasks():
        each.print_stack(file=out)
    return out.getvalue()
