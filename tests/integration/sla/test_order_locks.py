"""Order locks against a real PostgreSQL: a batch's orders locked up front, in one order,
never deadlock with another batch of the same orders (the consumers of both topics)."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.sla import store
from services.sla.entrypoint import MIGRATIONS, NAME
from shared.infra import db, migrations
from shared.infra.settings import DatabaseSettings

OPPOSITE = [["o-b", "o-a"], ["o-a", "o-b"]]
"""Two batches touching the same orders in opposite order, as the orders and the tracking
consumers may hold them."""


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(
        DatabaseSettings(database_url=database_url), application_name="test-sla", schema=NAME
    )
    async with pool.acquire() as conn:
        await migrations.migrate(conn, NAME, MIGRATIONS)
    yield pool
    await pool.close()


async def _apply_together(pool: asyncpg.Pool, *, up_front: bool) -> list[BaseException | None]:
    """Apply the ``OPPOSITE`` batches at once, each in one transaction whose handlers hold
    their order a moment; orders locked all ``up_front`` or one by one, event by event."""

    async def apply(batch: list[str]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            if up_front:
                await store.lock_orders(conn, batch)
            for order_id in batch:
                if not up_front:
                    await store.lock_orders(conn, [order_id])
                await asyncio.sleep(0.2)  # the handler's work, its locks held

    return await asyncio.gather(*(apply(b) for b in OPPOSITE), return_exceptions=True)


async def test_batches_that_lock_their_orders_up_front_never_deadlock(pool: asyncpg.Pool) -> None:
    assert await _apply_together(pool, up_front=True) == [None, None]
    assert await pool.fetchval("SELECT count(*) FROM orders") == 2


async def test_the_same_batches_locking_event_by_event_deadlock(pool: asyncpg.Pool) -> None:
    """The broken input of the check above: what the handlers did before."""
    outcomes = await _apply_together(pool, up_front=False)
    assert any(isinstance(o, asyncpg.DeadlockDetectedError) for o in outcomes), outcomes
