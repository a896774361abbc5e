"""A consumer batch of registrations is read and written at once: the ``lock`` (the
consumer's prepare) reads the batch's shipments, each handler decides from what the batch
knows so far, and the ``write`` (its finish) stores the outcome. A shipment registered twice
in one batch ends as the second registration says, as if the two came one by one."""

import asyncpg
import pytest

from services.poller import handlers
from services.poller.service import PollerService
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent, decode, new_event
from shared.contracts.events import ShipmentRegistered
from shared.infra.settings import KafkaSettings
from tests.integration.poller.conftest import NOW
from tests.support.batches import BatchConsumer, consumer

UPS = "1Z5R89390357567127"
FEDEX = "123456789012"


@pytest.fixture
def orders(
    pool: asyncpg.Pool, service: PollerService, kafka_settings: KafkaSettings
) -> BatchConsumer:
    """The poller's consumer of ``orders.v1``, wired as its entrypoint wires it."""
    return consumer(
        pool,
        kafka_settings,
        handlers.by_topic(service)[topics.ORDERS],
        prepare=service.lock,
        finish=service.write,
    )


def _registered(n: int, shipment_id: str, carrier: str, number: str) -> CloudEvent[object]:
    data = ShipmentRegistered(
        order_id=f"o-{shipment_id}",
        shipment_id=shipment_id,
        carrier=carrier,
        tracking_number=number,
        registered_at=NOW,
    )
    return new_event(data, "tests", event_id=f"registered-{shipment_id}-{n}")


async def _batch(orders: BatchConsumer, *events: CloudEvent[object]) -> None:
    await orders.apply(topics.ORDERS, *events)


async def _shipment(pool: asyncpg.Pool, shipment_id: str) -> dict[str, object]:
    row = await pool.fetchrow(
        "SELECT carrier, tracking_number, generation, lifecycle, next_poll_at"
        " FROM shipments WHERE shipment_id = $1",
        shipment_id,
    )
    assert row is not None, f"{shipment_id} was not written"
    return dict(row)


async def test_a_batch_registers_each_shipment_as_the_last_registration_says(
    orders: BatchConsumer, pool: asyncpg.Pool
) -> None:
    await _batch(
        orders,
        _registered(1, "sh-a", "ups", UPS),
        _registered(2, "sh-a", "fedex", FEDEX),  # a new number: a new generation
        _registered(3, "sh-a", "fedex", f" {FEDEX} "),  # the same number: nothing changes
        _registered(1, "sh-b", "ups", UPS[:-1] + "8"),  # a wrong check digit
    )
    assert await _shipment(pool, "sh-a") == {
        "carrier": "fedex",
        "tracking_number": FEDEX,
        "generation": 2,
        "lifecycle": "active",
        "next_poll_at": NOW,
    }
    assert await _shipment(pool, "sh-b") == {
        "carrier": "ups",
        "tracking_number": UPS[:-1] + "8",
        "generation": 1,
        "lifecycle": "invalid",
        "next_poll_at": None,
    }
    published = [
        decode(bytes(r["payload"])) for r in await pool.fetch("SELECT payload FROM outbox")
    ]
    assert [(e.type, e.data.shipment_id) for e in published] == [
        ("tracking.number_invalid", "sh-b")
    ]


async def test_a_later_batch_reads_what_an_earlier_one_wrote(
    orders: BatchConsumer, pool: asyncpg.Pool
) -> None:
    await _batch(orders, _registered(1, "sh-c", "ups", UPS))
    await _batch(orders, _registered(2, "sh-c", "ups", UPS.lower()))  # the same number
    assert (await _shipment(pool, "sh-c"))["generation"] == 1
    await _batch(orders, _registered(3, "sh-c", "fedex", FEDEX))
    assert (await _shipment(pool, "sh-c"))["generation"] == 2


async def test_a_registration_outside_the_consumers_lock_is_refused(
    service: PollerService, pool: asyncpg.Pool
) -> None:
    event = _registered(1, "sh-d", "ups", UPS)
    assert isinstance(event.data, ShipmentRegistered)
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(RuntimeError, match="without the consumer's lock"):
            await service.register(conn, event.data)
