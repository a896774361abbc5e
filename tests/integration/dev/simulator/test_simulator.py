"""The simulator publishes every story's events, in order per order, on a real broker."""

import asyncio
from collections import defaultdict
from datetime import UTC, datetime

from parcelwatch.dev.simulator.runner import Simulator, SimulatorSettings
from parcelwatch.dev.simulator.stories import Story
from shared.contracts import topics
from shared.contracts.envelope import decode
from shared.infra.clock import ScaledClock
from shared.infra.kafka import ensure_topics
from shared.infra.settings import KafkaSettings
from tests.support.kafka import read_all, unique


async def test_simulated_run_publishes_each_story_in_order(kafka_settings: KafkaSettings) -> None:
    settings = SimulatorSettings(
        kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers,
        kafka_enable_idempotence=kafka_settings.kafka_enable_idempotence,
        kafka_topic_prefix=unique("sim") + ".",
        simulator_orders_per_minute=6000,
    )
    await ensure_topics(settings, (topics.ORDERS,))
    clock = ScaledClock(500_000, origin=datetime.now(UTC))  # a week in about a second
    simulator = Simulator(settings, clock)
    await asyncio.wait_for(simulator.run(asyncio.Event(), orders=len(Story)), 60)

    records = await read_all(
        settings.kafka_bootstrap_servers, settings.topic(topics.ORDERS), expect=simulator.published
    )
    assert len(records) == simulator.published
    by_order: dict[str, list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event = decode(record.value)
        assert record.key == event.key
        by_order[event.subject].append(event.type)
    assert len(by_order) == len(Story)
    for order, types in by_order.items():
        assert types[0] == "order.placed", order
    unshipped = {Story.UNCONFIRMED, Story.NOT_SHIPPED, Story.CANCELLED, Story.PAYMENT_DECLINED}
    shipped = len(Story) - len(unshipped)
    assert sum(types.count("shipment.registered") for types in by_order.values()) == shipped
    assert sum(types.count("delivery.disputed") for types in by_order.values()) == 2


async def test_simulated_run_follows_the_chosen_stories_in_turn(
    kafka_settings: KafkaSettings,
) -> None:
    settings = SimulatorSettings(
        kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers,
        kafka_enable_idempotence=kafka_settings.kafka_enable_idempotence,
        kafka_topic_prefix=unique("sim") + ".",
        simulator_orders_per_minute=6000,
        simulator_stories=[Story.RETURNED, Story.UNCONFIRMED],
    )
    await ensure_topics(settings, (topics.ORDERS,))
    clock = ScaledClock(500_000, origin=datetime.now(UTC))
    simulator = Simulator(settings, clock)
    await asyncio.wait_for(simulator.run(asyncio.Event(), orders=3), 60)

    records = await read_all(
        settings.kafka_bootstrap_servers, settings.topic(topics.ORDERS), expect=simulator.published
    )
    orders = {decode(record.value).subject for record in records}
    assert orders == {"sim-000000-returned", "sim-000001-unconfirmed", "sim-000002-returned"}
