"""Consumer side: keep orders, decide who hears what, claim the messages.

Handlers run inside the transaction that claims the event in the inbox, so the order,
the trigger and the claimed rows commit with it or not at all. Nothing is sent here:
the sender picks claimed rows up after the commit.

Topics are not ordered with each other: a tracking or SLA event may come before its
order. It is then kept as awaiting its order and routed when the order arrives; the
partition moves on meanwhile.
"""

from typing import Any

from services.notifier import store
from services.notifier.context import MessageContext, OrderInfo
from services.notifier.kinds import TRIGGERS
from services.notifier.routing import RoutingSettings, route, triggered_kinds
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import OrderConfirmed, OrderPlaced
from shared.infra.clock import Clock
from shared.infra.consumer import Handler
from shared.infra.db import Connection


class Intake:
    """The use case "an event came in": applies order and trigger events."""

    def __init__(self, routing: RoutingSettings, clock: Clock) -> None:
        self._routing = routing
        self._clock = clock

    async def order(self, conn: Connection, event: CloudEvent[Any]) -> None:
        """Remember the order; route the events that were waiting for it."""
        assert isinstance(event.data, OrderPlaced | OrderConfirmed)
        order = OrderInfo.from_event(event.data)
        now = self._clock.now()
        await store.lock_order(conn, order.order_id)
        await store.save_order(conn, order, now)
        waiting = await store.awaiting_triggers(conn, order.order_id)
        for trigger in waiting:
            await self._claim(conn, order, trigger)
        await store.mark_routed(conn, [trigger.id for trigger in waiting], now)

    async def trigger(self, conn: Connection, event: CloudEvent[Any]) -> None:
        """Claim the messages ``event`` triggers, or keep it until its order is known."""
        if not triggered_kinds(event.data, self._routing):
            return
        await store.lock_order(conn, event.subject)
        order = await store.load_order(conn, event.subject)
        await store.save_trigger(conn, event, self._clock.now(), routed=order is not None)
        if order is not None:
            await self._claim(conn, order, event)

    async def _claim(self, conn: Connection, order: OrderInfo, event: CloudEvent[Any]) -> None:
        now = self._clock.now()
        notifications = route(MessageContext(order, event.data), self._routing, now)
        await store.claim(
            conn,
            notifications,
            order_id=order.order_id,
            trigger_event_id=event.id,
            now=now,
        )


def subscriptions(intake: Intake) -> dict[str, dict[str, Handler]]:
    """Handlers by topic and event type: orders, tracking status changes, SLA events."""
    by_topic: dict[str, dict[str, Handler]] = {
        topics.ORDERS: {
            OrderPlaced.event_type: intake.order,
            OrderConfirmed.event_type: intake.order,
        }
    }
    for model in TRIGGERS.values():
        by_topic.setdefault(model.topic, {})[model.event_type] = intake.trigger
    return by_topic
