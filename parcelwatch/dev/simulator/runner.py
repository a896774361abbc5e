"""Publishes simulated orders' events when the shared clock reaches their time."""

import asyncio
import heapq
import itertools
import logging
import random
import uuid
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from pydantic import Field

from parcelwatch.dev.simulator.stories import Scheduled, Story, plan
from shared.contracts import topics
from shared.contracts.envelope import new_event
from shared.infra.clock import Clock, ClockSettings
from shared.infra.settings import KafkaSettings

log = logging.getLogger(__name__)

SOURCE = "parcelwatch/dev/simulator"
_NAMESPACE = uuid.UUID("3f0c9a55-5d1f-4c55-9a52-6b7f0e1f7a10")


class SimulatorSettings(KafkaSettings, ClockSettings):
    """How fast orders arrive, and how many."""

    simulator_orders_per_minute: float = Field(
        20.0, gt=0, description="New simulated orders per real minute."
    )
    simulator_seed: int = Field(7, description="Random seed: the same seed, the same orders.")
    simulator_stories: list[Story] = Field(
        default_factory=lambda: list(Story),
        min_length=1,
        description="The stories new orders follow, in turn (default: every story).",
    )


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    item: Scheduled = field(compare=False)


class Simulator:
    """Starts one order per tick, cycling through the stories so each path shows early."""

    def __init__(self, settings: SimulatorSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._rng = random.Random(settings.simulator_seed)
        self._stories = itertools.cycle(settings.simulator_stories)
        self._queue: list[_Due] = []
        self._seq = itertools.count()
        self.published = 0

    def start_order(self, serial: int) -> None:
        for item in plan(next(self._stories), serial, self._clock.now(), self._rng):
            heapq.heappush(self._queue, _Due(item.at.timestamp(), next(self._seq), item))

    async def run(self, stop: asyncio.Event, orders: int | None = None) -> None:
        """Publish until ``stop`` is set, or ``orders`` orders have played out."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            enable_idempotence=self._settings.kafka_enable_idempotence,
            acks="all",
        )
        await producer.start()
        try:
            interval = 60.0 / self._settings.simulator_orders_per_minute
            loop = asyncio.get_running_loop()
            next_order = loop.time()
            started = 0
            while not stop.is_set():
                more = orders is None or started < orders
                if more and loop.time() >= next_order:
                    self.start_order(started)
                    started += 1
                    next_order += interval
                await self._publish_due(producer)
                if not more and not self._queue:
                    return
                await asyncio.sleep(0.1)
        finally:
            await producer.stop()

    async def _publish_due(self, producer: AIOKafkaProducer) -> None:
        now = self._clock.now().timestamp()
        while self._queue and self._queue[0].at <= now:
            item = heapq.heappop(self._queue).item
            key = f"{item.data.order_id}/{item.data.event_type}/{item.at.isoformat()}"
            event = new_event(
                item.data, SOURCE, event_id=str(uuid.uuid5(_NAMESPACE, key)), time=item.at
            )
            await producer.send_and_wait(
                self._settings.topic(topics.ORDERS), event.to_json(), key=event.key
            )
            self.published += 1
            log.info("published", extra={"event_type": event.type, "order_id": event.subject})
