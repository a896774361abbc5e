"""The notifier's order locks (advisory, taken by the consumers' prepare) against a real
PostgreSQL: a batch's orders locked up front, in key order, never deadlock with another
batch of the same orders (the consumers of orders.v1 and of the triggers' topics)."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.notifier import store
from tests.support.order_locks import apply_together, deadlocked


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


async def test_batches_that_lock_their_orders_up_front_never_deadlock(pool: asyncpg.Pool) -> None:
    assert await apply_together(pool, store.lock_orders, up_front=True) == [None, None]


async def test_the_same_batches_locking_event_by_event_deadlock(pool: asyncpg.Pool) -> None:
    """The broken input of the check above: what the handlers did before."""
    outcomes = await apply_together(pool, store.lock_orders, up_front=False)
    assert deadlocked(outcomes), outcomes
