"""A consumer batch knows its orders: the ``lock`` (the consumers' prepare) reads the orders
its triggers need, and an order the batch itself brings counts from its event on. A trigger
is routed at once when its order is known, else kept until the order comes."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from services.notifier import handlers
from services.notifier.metrics import NotifierMetrics
from services.notifier.routing import RoutingSettings
from services.notifier.service import NotifierService
from services.notifier.spec import SPEC
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import (
    EventData,
    OrderPaymentDeclined,
    SlaDelivered,
    SlaResolved,
    SlaTrackingStalled,
)
from shared.infra.settings import DatabaseSettings, KafkaSettings
from tests.support.batches import BatchConsumer, consumer, migrated_pool
from tests.support.clock import FakeClock
from tests.support.events import PLACED_AT, one_of_each, order_placed

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
async def pool(database_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    async with migrated_pool(database_settings, SPEC) as pool:
        yield pool


def _consumer(pool: asyncpg.Pool, kafka_settings: KafkaSettings, topic: str) -> BatchConsumer:
    """The notifier's consumer of ``topic``, wired as its entrypoint wires it."""
    service = NotifierService(
        pool,
        routing=RoutingSettings(),
        clock=FakeClock(NOW),
        metrics=NotifierMetrics(CollectorRegistry()),
    )
    return consumer(
        pool,
        kafka_settings,
        handlers.by_topic(service)[topic],
        prepare=service.lock,
        finish=service.write,
    )


@pytest.fixture
def sla_consumer(pool: asyncpg.Pool, kafka_settings: KafkaSettings) -> BatchConsumer:
    return _consumer(pool, kafka_settings, topics.SLA)


@pytest.fixture
def orders_consumer(pool: asyncpg.Pool, kafka_settings: KafkaSettings) -> BatchConsumer:
    """Order events and declined payments."""
    return _consumer(pool, kafka_settings, topics.ORDERS)


def _placed(order_id: str) -> CloudEvent[object]:
    return new_event(order_placed(order_id), "tests", event_id=f"placed-{order_id}")


def _declined(order_id: str) -> CloudEvent[object]:
    data = OrderPaymentDeclined(
        order_id=order_id,
        declined_at=PLACED_AT,
        reason_code="card_expired",
        reason="Your card has expired.",
    )
    return new_event(data, "tests", event_id=f"declined-{order_id}")


async def _batch(orders: BatchConsumer, *events: CloudEvent[object]) -> None:
    await orders.apply(topics.ORDERS, *events)


async def _state(pool: asyncpg.Pool, order_id: str) -> tuple[list[str], int]:
    """The order's notification kinds, and how many of its triggers await it."""
    kinds = await pool.fetch("SELECT kind FROM notifications WHERE order_id = $1", order_id)
    awaiting = await pool.fetchval(
        "SELECT count(*) FROM triggers WHERE order_id = $1 AND routed_at IS NULL", order_id
    )
    return [r["kind"] for r in kinds], awaiting


async def test_a_trigger_after_its_order_in_the_same_batch_is_routed_at_once(
    pool: asyncpg.Pool, orders_consumer: BatchConsumer
) -> None:
    await _batch(orders_consumer, _placed("o-same"), _declined("o-same"))
    assert await _state(pool, "o-same") == (["customer_payment_declined"], 0)


async def test_a_trigger_whose_order_an_earlier_batch_brought_is_routed_at_once(
    pool: asyncpg.Pool, orders_consumer: BatchConsumer
) -> None:
    await _batch(orders_consumer, _placed("o-before"))
    await _batch(orders_consumer, _declined("o-before"))
    assert await _state(pool, "o-before") == (["customer_payment_declined"], 0)


async def test_a_trigger_before_its_order_waits_and_is_routed_when_the_order_comes(
    pool: asyncpg.Pool, orders_consumer: BatchConsumer
) -> None:
    await _batch(orders_consumer, _declined("o-after"))
    assert await _state(pool, "o-after") == ([], 1)
    await _batch(orders_consumer, _placed("o-after"))
    assert await _state(pool, "o-after") == (["customer_payment_declined"], 0)


async def test_a_trigger_before_its_order_in_the_same_batch_is_routed_when_the_order_comes(
    pool: asyncpg.Pool, orders_consumer: BatchConsumer
) -> None:
    await _batch(orders_consumer, _declined("o-later"), _placed("o-later"))
    assert await _state(pool, "o-later") == (["customer_payment_declined"], 0)


async def test_a_batch_keeps_the_latest_of_each_order_it_brings(
    pool: asyncpg.Pool, orders_consumer: BatchConsumer
) -> None:
    first = order_placed("o-twice")
    renamed = first.model_copy(
        update={"customer": first.customer.model_copy(update={"name": "Ada King"})}
    )
    await _batch(
        orders_consumer,
        _placed("o-twice"),
        new_event(renamed, "tests", event_id="placed-o-twice-again"),
        _placed("o-once"),
    )
    rows = await pool.fetch("SELECT order_id, info FROM orders ORDER BY order_id")
    assert [(r["order_id"], r["info"]["customer"]["name"]) for r in rows] == [
        ("o-once", first.customer.name),
        ("o-twice", "Ada King"),
    ]


def _sla(kind: type[EventData], order_id: str) -> CloudEvent[object]:
    """An SLA event of type ``kind`` about ``order_id``."""
    data = next(e for e in one_of_each() if type(e) is kind).model_copy(
        update={"order_id": order_id}
    )
    return new_event(data, "tests", event_id=f"{kind.event_type}-{order_id}")


async def _customer_messages(pool: asyncpg.Pool, order_id: str) -> dict[str, str]:
    rows = await pool.fetch(
        "SELECT kind, state FROM notifications WHERE order_id = $1 AND kind LIKE 'customer_%'",
        order_id,
    )
    return {r["kind"]: r["state"] for r in rows}


async def test_claims_of_one_batch_see_the_claims_before_them_of_their_order(
    pool: asyncpg.Pool, orders_consumer: BatchConsumer, sla_consumer: BatchConsumer
) -> None:
    orders = ("o-withdrawn", "o-blocked", "o-follows")
    await _batch(orders_consumer, *(_placed(order_id) for order_id in orders))
    await sla_consumer.apply(
        topics.SLA,
        _sla(SlaTrackingStalled, "o-withdrawn"),
        _sla(SlaDelivered, "o-blocked"),
        _sla(SlaTrackingStalled, "o-follows"),
        _sla(SlaDelivered, "o-withdrawn"),  # withdraws the stall e-mail claimed before it
        _sla(SlaTrackingStalled, "o-blocked"),  # no stall e-mail after the delivered one
        _sla(SlaResolved, "o-follows"),  # the stall e-mail was never sent: no "moving again"
    )
    assert await _customer_messages(pool, "o-withdrawn") == {
        "customer_tracking_stalled": "skipped",
        "customer_delivered": "pending",
    }
    assert await _customer_messages(pool, "o-blocked") == {"customer_delivered": "pending"}
    assert await _customer_messages(pool, "o-follows") == {"customer_tracking_stalled": "skipped"}
