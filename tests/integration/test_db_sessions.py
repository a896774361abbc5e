"""Pooled connections go back to the pool as they are; session state (session advisory
locks, ``LISTEN``) lives only in :func:`shared.infra.db.session` blocks, which drop it."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
import pytest

from shared.infra import db
from shared.infra.settings import DatabaseSettings

LOCK = 0x5E5510


@pytest.fixture
async def pool(database_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    settings = database_settings.model_copy(update={"database_pool_min": 1, "database_pool_max": 1})
    pool = await db.create_pool(settings, application_name="test")
    yield pool
    await pool.close()


async def _lock_left_behind(borrow: AbstractAsyncContextManager[Any], dsn: str) -> bool:
    """Take a session lock in ``borrow`` and leave without unlocking: is it still held once
    the connection is back in the pool (one connection: the same session lives on)?"""
    async with borrow as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK)
    other = await asyncpg.connect(dsn)
    try:
        free = await other.fetchval("SELECT pg_try_advisory_lock($1)", LOCK)
        if free:
            await other.execute("SELECT pg_advisory_unlock($1)", LOCK)
        return not free
    finally:
        await other.close()


async def test_a_session_block_drops_the_locks_it_left(
    pool: asyncpg.Pool, database_url: str
) -> None:
    assert not await _lock_left_behind(db.session(pool), database_url)


async def test_a_plain_borrow_keeps_them_which_is_why_session_state_needs_a_session_block(
    pool: asyncpg.Pool, database_url: str
) -> None:
    """The check above, failing on a borrow that does not reset (the pool's own release)."""
    assert await _lock_left_behind(pool.acquire(), database_url)
    async with pool.acquire() as conn:  # leave the pool clean for the next test
        await conn.execute("SELECT pg_advisory_unlock_all()")


async def test_a_session_block_ends_its_listens(pool: asyncpg.Pool) -> None:
    async with db.session(pool) as conn:
        await conn.execute("LISTEN parcelwatch_test")
    async with pool.acquire() as conn:
        channels = await conn.fetch("SELECT pg_listening_channels()")
    assert channels == []


async def test_an_open_transaction_is_rolled_back_on_release(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("CREATE TEMPORARY TABLE left_open (n int)")
    async with pool.acquire() as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT to_regclass('left_open')") is None
