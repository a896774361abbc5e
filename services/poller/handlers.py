"""Subscribers of ``orders.v1``: shipments to track."""

import logging
from typing import Any

from services.poller import store, tracking
from services.poller.metrics import PollerMetrics
from services.poller.worker import count_events
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import ShipmentRegistered
from shared.infra.clock import Clock
from shared.infra.consumer import Handler
from shared.infra.db import Connection

log = logging.getLogger(__name__)


def shipment_handlers(
    *,
    clock: Clock,
    known_carriers: frozenset[str],
    skip_check_digits: bool,
    metrics: PollerMetrics,
) -> dict[str, Handler]:
    """Handlers by event type, for ``Service.consume``."""

    async def registered(conn: Connection, event: CloudEvent[Any]) -> None:
        data: ShipmentRegistered = event.data
        result = tracking.register(
            shipment_id=data.shipment_id,
            order_id=data.order_id,
            carrier=data.carrier,
            tracking_number=data.tracking_number,
            known_carriers=known_carriers,
            skip_check_digits=skip_check_digits,
            previous=await store.locked(conn, data.shipment_id),
            now=clock.now(),
        )
        if result is None:
            return
        await store.register(conn, result)
        count_events(metrics, result)
        log.info(
            "shipment registered",
            extra={
                "event_id": event.id,
                "order_id": data.order_id,
                "shipment_id": data.shipment_id,
                "carrier": data.carrier,
                "lifecycle": result.shipment.lifecycle.value,
            },
        )

    return {ShipmentRegistered.event_type: registered}
