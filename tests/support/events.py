"""Sample events for tests."""

from datetime import UTC, datetime

from shared.contracts.common import Customer, Item, Seller
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import OrderCancelled, OrderPlaced

PLACED_AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def order_placed(order_id: str = "o-1") -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        placed_at=PLACED_AT,
        customer=Customer(
            id="c-1",
            email="ada@example.com",
            name="Ada Lovelace",
            locale="en",
            time_zone="Europe/London",
            country="GB",
        ),
        seller=Seller(
            id="s-1",
            name="Refurb Ltd",
            email="ops@refurb.example",
            country="US",
            subdivision="NY",
            time_zone="America/New_York",
        ),
        items=[Item(sku="tv-55", title="55-inch TV", large=True)],
        marketplace="us",
    )


def cancelled(order_id: str, n: int = 0) -> CloudEvent[OrderCancelled]:
    return new_event(
        OrderCancelled(order_id=order_id, cancelled_at=PLACED_AT, reason=f"r{n}"),
        "tests",
        event_id=f"{order_id}-{n}",
    )
