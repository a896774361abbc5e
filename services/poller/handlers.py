"""Subscribers of ``orders.v1``: shipments to track."""

import logging
from typing import Any

from services.poller.service import PollerService
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import ShipmentRegistered
from shared.infra.consumer import Handler
from shared.infra.db import Connection

log = logging.getLogger(__name__)


def shipment_handlers(service: PollerService) -> dict[str, Handler]:
    """Handlers by event type, for ``Service.consume``."""

    async def registered(conn: Connection, event: CloudEvent[Any]) -> None:
        data: ShipmentRegistered = event.data
        result = await service.register(conn, data)
        if result is None:
            return
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
