"""asyncpg connection pool.

A pooled connection goes back to the pool as it is, after asyncpg rolled back any open
transaction: asyncpg's default reset (one more round trip and four statements on every
release, a quarter of all statements in the pipeline benchmark) is kept for connections that
hold session state (``LISTEN``, session advisory locks), borrowed through :func:`session`.
"""

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from shared.infra.settings import DatabaseSettings

Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
"""A connection, direct or borrowed from a pool: what every query function takes."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _released_as_is(conn: asyncpg.Connection) -> None:
    """The pool's reset: nothing (see the module docstring)."""


async def create_pool(
    settings: DatabaseSettings, *, application_name: str, schema: str | None = None
) -> asyncpg.Pool:
    """Open a pool; sessions run in UTC, decode JSON to Python objects and, given a
    ``schema``, resolve unqualified names there first."""
    server_settings = {"application_name": application_name, "timezone": "UTC"}
    if schema is not None:
        server_settings["search_path"] = f'"{schema}", public'
    pool = await asyncpg.create_pool(
        settings.database_url.get_secret_value(),
        min_size=settings.database_pool_min,
        max_size=settings.database_pool_max,
        command_timeout=settings.database_command_timeout,
        timeout=settings.database_connect_timeout,
        init=_init_connection,
        reset=_released_as_is,
        server_settings=server_settings,
    )
    assert pool is not None
    return pool


@contextlib.asynccontextmanager
async def session(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    """A pooled connection for session state (``LISTEN``, session advisory locks): reset on
    the way back (listens ended, locks released, settings reset), or closed when the reset
    fails, so that no state outlives the block."""
    async with pool.acquire() as conn:
        try:
            yield conn
        finally:
            try:
                await conn.reset()
            except BaseException:
                conn.terminate()  # the server drops the session, its locks with it
                raise


async def ping(pool: asyncpg.Pool) -> bool:
    """True when the database answers ``SELECT 1``; bound it with ``asyncio.timeout``."""
    try:
        async with pool.acquire() as conn:
            return bool(await conn.fetchval("SELECT 1"))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False


def columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """``rows`` as ``width`` columns, for ``unnest($1::t[], $2::t[], …)`` parameters (empty
    columns when there are no rows)."""
    return [[row[i] for row in rows] for i in range(width)]
