"""Two consumers' batches holding the same orders in opposite order, applied at once: how a
service's order locks are shown never to deadlock (and, locking event by event, to)."""

import asyncio
from collections.abc import Awaitable, Callable, Collection

import asyncpg

from shared.infra.db import Connection

OPPOSITE = [["o-b", "o-a"], ["o-a", "o-b"]]
"""Two batches touching the same orders in opposite order, as the consumers of two topics
may hold them."""

LockOrders = Callable[[Connection, Collection[str]], Awaitable[None]]


async def apply_together(
    pool: asyncpg.Pool, lock_orders: LockOrders, *, up_front: bool
) -> list[BaseException | None]:
    """Apply the ``OPPOSITE`` batches at once, each in one transaction whose handlers hold
    their order a moment; orders locked all ``up_front`` or one by one, event by event."""

    async def apply(batch: list[str]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            if up_front:
                await lock_orders(conn, batch)
            for order_id in batch:
                if not up_front:
                    await lock_orders(conn, [order_id])
                await asyncio.sleep(0.2)  # the handler's work, its locks held

    return await asyncio.gather(*(apply(b) for b in OPPOSITE), return_exceptions=True)


def deadlocked(outcomes: list[BaseException | None]) -> bool:
    return any(isinstance(o, asyncpg.DeadlockDetectedError) for o in outcomes)
