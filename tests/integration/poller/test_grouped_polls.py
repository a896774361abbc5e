"""Polls that finish while others are being written share one transaction: each answer is
applied as if the answers had come one by one (a shipment answered twice in one group
moves on from what the first answer did), and one answer that cannot be written does not
keep the others from being written."""

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from services.poller import handlers, store
from services.poller.carriers.base import ParsedShipment, Scan, TrackOutcome
from services.poller.service import PollerService
from services.poller.tracking import Shipment
from shared.contracts import topics
from shared.contracts.envelope import decode, new_event
from shared.contracts.events import ShipmentRegistered
from shared.contracts.statuses import TrackingStatus
from shared.infra.settings import KafkaSettings
from tests.integration.poller.conftest import NOW
from tests.support.batches import consumer

NUMBERS = {"sh-a": "1Z5R89390357567127", "sh-b": "1Z999AA10123456784"}


@pytest.fixture(autouse=True)
async def registered(
    pool: asyncpg.Pool, service: PollerService, kafka_settings: KafkaSettings
) -> None:
    """``sh-a`` and ``sh-b`` registered (UPS), as the poller's consumer registers."""
    orders = consumer(
        pool,
        kafka_settings,
        handlers.by_topic(service)[topics.ORDERS],
        prepare=service.lock,
        finish=service.write,
    )
    registrations: list[Any] = [
        new_event(
            ShipmentRegistered(
                order_id=f"o-{shipment_id}",
                shipment_id=shipment_id,
                carrier="ups",
                tracking_number=number,
                registered_at=NOW,
            ),
            "tests",
            event_id=f"registered-{shipment_id}",
        )
        for shipment_id, number in NUMBERS.items()
    ]
    await orders.apply(topics.ORDERS, *registrations)


@pytest.fixture
def groups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many answers each write of the poller's answers carried."""
    sizes: list[int] = []
    save = store.save

    async def counted(conn: object, writes: Sequence[store.AnswerWrite], **kw: object) -> None:
        sizes.append(len(writes))
        await save(conn, writes, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "save", counted)
    return sizes


def _scan(status: TrackingStatus, hours: int, description: str = "") -> Scan:
    return Scan(
        status=status,
        carrier_code=status.value,
        description=description or status.value,
        occurred_at=NOW - timedelta(hours=10 - hours),
    )


def _answer(shipment_id: str, *scans: Scan) -> ParsedShipment:
    """What UPS says of the shipment: its scans, newest first."""
    ordered = tuple(sorted(scans, key=lambda s: s.occurred_at or NOW, reverse=True))
    return ParsedShipment("ups", NUMBERS[shipment_id], ordered[0].status, events=ordered)


async def _claimed(pool: asyncpg.Pool, shipment_id: str) -> Shipment:
    async with pool.acquire() as conn, conn.transaction():
        return (await store.locked_all(conn, [shipment_id]))[shipment_id]


async def _poll_together(
    service: PollerService, pool: asyncpg.Pool, *answers: tuple[str, TrackOutcome]
) -> None:
    """The answers finish at once (as a carrier's batch answer, or concurrent calls do)."""
    shipments = {sid: await _claimed(pool, sid) for sid in dict.fromkeys(s for s, _ in answers)}
    await asyncio.gather(
        *(service.record_poll(shipments[sid], outcome, b'{"doc": 1}') for sid, outcome in answers)
    )


async def _published(pool: asyncpg.Pool, shipment_id: str) -> list[tuple[str, str, str | None]]:
    """The shipment's events in the outbox, in order: type, status, previous status."""
    rows = await pool.fetch("SELECT payload FROM outbox ORDER BY id")
    published = []
    for row in rows:
        event = decode(bytes(row["payload"]))
        data: Any = event.data
        if data.shipment_id == shipment_id:
            published.append(
                (event.type, data.status.value, getattr(data, "previous_status", None))
            )
    return published


async def _status(pool: asyncpg.Pool, shipment_id: str) -> tuple[str | None, int]:
    row = await pool.fetchrow(
        "SELECT s.status, (SELECT count(*) FROM scans c WHERE c.shipment_id = s.shipment_id) n"
        " FROM shipments s WHERE shipment_id = $1",
        shipment_id,
    )
    assert row is not None
    return row["status"], row["n"]


async def test_a_shipment_answered_twice_in_one_group_moves_on_from_the_first_answer(
    service: PollerService, pool: asyncpg.Pool, groups: list[int]
) -> None:
    in_transit = _scan(TrackingStatus.IN_TRANSIT, 1)
    out = _scan(TrackingStatus.OUT_FOR_DELIVERY, 5)
    await _poll_together(
        service,
        pool,
        ("sh-b", _answer("sh-b", in_transit)),  # written alone: the others queue meanwhile
        ("sh-a", _answer("sh-a", in_transit)),
        ("sh-a", _answer("sh-a", in_transit, out)),
    )
    assert groups == [1, 2]
    assert await _status(pool, "sh-a") == ("out_for_delivery", 2)
    assert await _published(pool, "sh-a") == [
        ("tracking.event", "in_transit", None),
        ("tracking.status_changed", "in_transit", None),
        ("tracking.event", "out_for_delivery", None),
        ("tracking.status_changed", "out_for_delivery", TrackingStatus.IN_TRANSIT),
    ]
    assert await _status(pool, "sh-b") == ("in_transit", 1)


async def test_an_answer_that_cannot_be_written_does_not_keep_the_others_out(
    service: PollerService, pool: asyncpg.Pool, groups: list[int]
) -> None:
    in_transit = _scan(TrackingStatus.IN_TRANSIT, 1)
    broken = _scan(TrackingStatus.IN_TRANSIT, 1, description="bad\x00text")  # text refuses NUL
    delivered = _scan(TrackingStatus.DELIVERED, 9)
    first = await _claimed(pool, "sh-a")
    await asyncio.gather(
        service.record_poll(first, _answer("sh-a", in_transit), None),
        service.record_poll(await _claimed(pool, "sh-b"), _answer("sh-b", broken), None),
        service.record_poll(first, _answer("sh-a", in_transit, delivered), None),
    )
    assert groups == [1, 2, 1, 1]  # the group of two failed, then each was written alone
    assert await _status(pool, "sh-a") == ("delivered", 2)
    assert await _status(pool, "sh-b") == (None, 0)  # polled again when its lease ends
