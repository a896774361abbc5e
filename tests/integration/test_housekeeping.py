"""Pruning forgets only what is older than the retention."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.infra import db, migrations
from shared.infra.housekeeping import Housekeeper
from shared.infra.settings import DatabaseSettings

SCHEMA = "svc"


@pytest.fixture
async def pool(database_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(database_settings, application_name="test", schema=SCHEMA)
    async with pool.acquire() as conn:
        await migrations.migrate(conn, SCHEMA, None)
    yield pool
    await pool.close()


async def test_prune_removes_only_old_inbox_ids_and_old_published_rows(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "INSERT INTO inbox (event_id, topic, received_at) VALUES "
        "('old', 't', now() - interval '15 days'), ('new', 't', now() - interval '13 days')"
    )
    await pool.execute(
        "INSERT INTO outbox (event_id, topic, key, payload, created_at, published_at) VALUES "
        "('old-sent', 't', 'k', 'v', now() - interval '20 days', now() - interval '15 days'),"
        "('old-unsent', 't', 'k', 'v', now() - interval '20 days', NULL),"
        "('new-sent', 't', 'k', 'v', now() - interval '2 days', now() - interval '1 day')"
    )
    assert await Housekeeper(pool, retention_days=14).prune_once() == (1, 1)
    assert {r["event_id"] for r in await pool.fetch("SELECT event_id FROM inbox")} == {"new"}
    assert {r["event_id"] for r in await pool.fetch("SELECT event_id FROM outbox")} == {
        "old-unsent",
        "new-sent",
    }
