"""The notifier service: keeps orders (``orders.v1``), tells customers, sellers and ops what
the tracking and SLA events (``tracking.v1``, ``sla.v1``) call for, publishes each message's
outcome on ``notifications.v1``."""

from pathlib import Path

from services.notifier.kinds import triggers_on
from shared.contracts import topics
from shared.contracts.events import (
    NotificationFailed,
    NotificationSent,
    OrderConfirmed,
    OrderPlaced,
)
from shared.infra.spec import ServiceSpec, Subscription

SPEC = ServiceSpec(
    name="notifier",
    source="parcelwatch/notifier",
    consumes=(
        Subscription(
            topics.ORDERS, "orders", (OrderPlaced, OrderConfirmed, *triggers_on(topics.ORDERS))
        ),
        Subscription(topics.TRACKING, "tracking", triggers_on(topics.TRACKING)),
        Subscription(topics.SLA, "sla", triggers_on(topics.SLA)),
    ),
    publishes=(NotificationSent, NotificationFailed),
    migrations_dir=Path(__file__).parent / "migrations",
    settings_class="services.notifier.settings:NotifierSettings",
    metrics_class="services.notifier.metrics:NotifierMetrics",
    entrypoint="services.notifier.entrypoint:build_app",
)
