from services.notifier.handlers import Intake, subscriptions
from services.notifier.kinds import TRIGGERS
from services.notifier.routing import RoutingSettings
from shared.contracts import topics
from shared.infra.clock import SystemClock


def test_the_notifier_subscribes_to_orders_and_to_every_triggering_event() -> None:
    subscribed = subscriptions(Intake(RoutingSettings(), SystemClock()))
    assert set(subscribed) == {topics.ORDERS, topics.TRACKING, topics.SLA}
    orders = {"order.placed", "order.confirmed", "order.payment_declined"}
    assert set(subscribed[topics.ORDERS]) == orders
    triggers = set(subscribed[topics.TRACKING]) | set(subscribed[topics.SLA])
    assert triggers | {"order.payment_declined"} == {m.event_type for m in TRIGGERS.values()}
    assert "sla.resolved" in triggers  # the "moving again" follow-up
