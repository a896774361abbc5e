"""Subscribers of ``orders.v1``, ``tracking.v1`` and ``sla.v1``: orders and the events that
trigger messages, applied by the service (:mod:`services.notifier.service`) in the
consumer's transaction."""

from services.notifier.kinds import TRIGGERS
from services.notifier.service import NotifierService
from shared.contracts import topics
from shared.contracts.events import OrderConfirmed, OrderPlaced
from shared.infra.consumer import Handler


def by_topic(service: NotifierService) -> dict[str, dict[str, Handler]]:
    """Handlers by topic and event type, for ``Service.subscribe``: orders, tracking status
    changes, SLA events."""
    by_topic: dict[str, dict[str, Handler]] = {
        topics.ORDERS: {
            OrderPlaced.event_type: service.order,
            OrderConfirmed.event_type: service.order,
        }
    }
    for model in TRIGGERS.values():
        by_topic.setdefault(model.topic, {})[model.event_type] = service.trigger
    return by_topic
