from services.notifier.handlers import Intake, subscriptions
from services.notifier.kinds import TRIGGERS
from services.notifier.routing import RoutingSettings
from shared.contracts import topics
from shared.infra.clock import SystemClock


def test_the_notifier_subscribes_to_orders_and_to_every_triggering_event() -> None:
    subscribed = subscriptions(Intake(RoutingSettings(), SystemClock()))
    assert set(subscribed) == {topics.ORDERS, topics.TRACKING, topics.SLA}
    assert set(subscribed[topics.ORDERS]) == {"order.placed", "order.confirmed"}
    triggers = set(subscribed[topics.TRACKING]) | set(subscribed[topics.SLA])
    assert triggers == {model.event_type for model in TRIGGERS.values()}
    assert "sla.resolved" not in triggers
