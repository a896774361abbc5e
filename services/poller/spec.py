"""The poller service: tracks the shipments registered on ``orders.v1``, publishes what the
carriers say on ``tracking.v1``."""

from pathlib import Path

from shared.contracts import topics
from shared.contracts.events import (
    ShipmentRegistered,
    TrackingEvent,
    TrackingNumberInvalid,
    TrackingStatusChanged,
)
from shared.infra.spec import ServiceSpec, Subscription

SPEC = ServiceSpec(
    name="poller",
    source="parcelwatch/poller",
    consumes=(Subscription(topics.ORDERS, "shipments", (ShipmentRegistered,)),),
    publishes=(TrackingEvent, TrackingStatusChanged, TrackingNumberInvalid),
    migrations_dir=Path(__file__).parent / "migrations",
    settings_class="services.poller.settings:PollerSettings",
    metrics_class="services.poller.metrics:PollerMetrics",
    entrypoint="services.poller.entrypoint:build_app",
)
