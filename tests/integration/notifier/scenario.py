"""Orders and trigger events for notifier tests: each order gets its own addresses."""

from datetime import UTC, datetime
from typing import Any

from services.notifier.kinds import MessageKind
from services.notifier.samples import sample_event, sample_order
from shared.contracts.common import Customer, Seller
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import EventData, OrderPlaced, Severity
from tests.support.kafka import unique

PLACED_AT = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)

SITUATION = {kind.value.split("_", 1)[1]: kind for kind in MessageKind} | {
    "ship_promise_missed": MessageKind.CUSTOMER_SHIP_BY_MISSED,
    "ship_by_missed": MessageKind.SELLER_SHIP_BY_MISSED,
    "documents_received": MessageKind.CUSTOMER_DOCUMENTS_RECEIVED,
}
"""Situation name (``shipped``, ``ship_by_missed``…) -> a kind it triggers."""


def new_order_id() -> str:
    return unique("ord").replace("_", "-")


def customer_address(order_id: str) -> str:
    return f"customer.{order_id}@example.com"


def seller_address(order_id: str) -> str:
    return f"seller.{order_id}@example.com"


def order_placed(
    order_id: str, *, locale: str = "en", customer_email: str | None = None
) -> CloudEvent[OrderPlaced]:
    """The sample order under ``order_id``, with addresses of its own."""
    base = sample_order(locale)
    customer = Customer.model_validate(
        {**base.customer.model_dump(), "email": customer_email or customer_address(order_id)}
    )
    seller = Seller.model_validate({**base.seller.model_dump(), "email": seller_address(order_id)})
    data = OrderPlaced(
        order_id=order_id,
        placed_at=PLACED_AT,
        customer=customer,
        seller=seller,
        items=base.items,
        marketplace=base.marketplace,
    )
    return new_event(data, "tests", event_id=f"{order_id}.placed")


def trigger(
    situation: str, order_id: str, *, event_id: str | None = None, **changes: Any
) -> CloudEvent[EventData]:
    """The sample event of ``situation`` for ``order_id`` (``severity=…`` etc. to vary it)."""
    sample = sample_event(SITUATION[situation])
    data = type(sample).model_validate({**sample.model_dump(), "order_id": order_id, **changes})
    return new_event(data, "tests", event_id=event_id or f"{order_id}.{situation}")


SELLER_TIER = {"severity": Severity.SELLER}
