"""Order locks against a real PostgreSQL: a batch's orders locked up front, in one order,
never deadlock with another batch of the same orders (the consumers of both topics)."""

import asyncpg

from services.sla import store
from tests.support.order_locks import apply_together, deadlocked


async def test_batches_that_lock_their_orders_up_front_never_deadlock(
    sla_pool: asyncpg.Pool,
) -> None:
    assert await apply_together(sla_pool, store.lock_orders, up_front=True) == [None, None]
    assert await sla_pool.fetchval("SELECT count(*) FROM orders") == 2


async def test_the_same_batches_locking_event_by_event_deadlock(sla_pool: asyncpg.Pool) -> None:
    """The broken input of the check above: what the handlers did before."""
    outcomes = await apply_together(sla_pool, store.lock_orders, up_front=False)
    assert deadlocked(outcomes), outcomes
