"""Send outcomes are recorded in one statement: final states with their events, retries
back in the queue, and only for rows still ``sending`` (a row the recovery took back
meanwhile is not ours any more: it keeps its state and gets no event)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.notifier import outcomes, store
from services.notifier.kinds import MessageKind
from services.notifier.spec import SPEC
from shared.contracts.envelope import CloudEvent, decode
from shared.infra import db, outbox
from shared.infra.settings import DatabaseSettings
from tests.support.batches import migrated_pool

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
KIND = MessageKind.CUSTOMER_SHIPPED


@pytest.fixture
async def pool(database_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    async with migrated_pool(database_settings, SPEC) as pool:
        yield pool


async def _rows(pool: asyncpg.Pool, states: dict[str, str]) -> dict[str, int]:
    """A notification row per dedup key, in the given state; returns their ids."""
    await pool.execute(
        "INSERT INTO triggers (event_id, order_id, event) VALUES ('t-1', 'o-1', '{}')"
        " ON CONFLICT DO NOTHING"
    )
    ids = {}
    for key, state in states.items():
        ids[key] = await pool.fetchval(
            "INSERT INTO notifications (dedup_key, order_id, kind, trigger_event_id, state,"
            " next_attempt_at, created_at) VALUES ($1, 'o-1', $2, 't-1', $3, $4, $4) RETURNING id",
            key,
            KIND.value,
            state,
            NOW,
        )
    return ids


def _sent(key: str) -> CloudEvent[Any]:
    return outcomes.sent(KIND, key, order_id="o-1", trigger_id="t-1", message_id=key, at=NOW)


async def test_outcomes_final_retried_and_not_ours_are_recorded_as_such(
    pool: asyncpg.Pool,
) -> None:
    ids = await _rows(
        pool, {"sent": "sending", "failed": "sending", "retried": "sending", "taken": "pending"}
    )
    failed = outcomes.failed(
        KIND, "failed", order_id="o-1", trigger_id="t-1", error="550 no", permanent=True, at=NOW
    )
    retry_at = NOW + timedelta(minutes=5)
    woken = asyncio.Event()
    async with db.session(pool) as listener:
        await listener.add_listener(outbox.channel(SPEC.schema), lambda *_: woken.set())
        async with pool.acquire() as conn:
            await store.record(
                conn,
                [
                    (ids["sent"], "sent", None),
                    (ids["failed"], "failed", "550 no"),
                    (ids["taken"], "sent", None),  # recovered meanwhile: not ours
                ],
                [(ids["retried"], retry_at, "421 busy")],
                [
                    (ids["sent"], _sent("sent")),
                    (ids["failed"], failed),
                    (ids["taken"], _sent("taken")),
                ],
                NOW,
            )
        await asyncio.wait_for(woken.wait(), 5)
    rows = await pool.fetch(
        "SELECT dedup_key, state, next_attempt_at, last_error, finished_at FROM notifications"
    )
    assert {r["dedup_key"]: tuple(r)[1:] for r in rows} == {
        "sent": ("sent", NOW, None, NOW),
        "failed": ("failed", NOW, "550 no", NOW),
        "retried": ("pending", retry_at, "421 busy", None),
        "taken": ("pending", NOW, None, None),
    }
    published = [
        decode(bytes(r["payload"]))
        for r in await pool.fetch("SELECT payload FROM outbox ORDER BY id")
    ]
    assert [(e.type, e.data.notification_id) for e in published] == [
        ("notification.sent", outcomes.notification_id("sent")),
        ("notification.failed", outcomes.notification_id("failed")),
    ]
