"""What the notifier knows when a message is due: the order, the trigger, the recipient."""

from dataclasses import dataclass, field

from shared.contracts.common import Contract, Customer, Identifier, Item, Seller
from shared.contracts.events import Audience, EventData, OrderConfirmed, OrderPlaced

SELLER_LOCALE = "en"
"""Sellers carry no locale in ``orders.v1``; their messages are in English."""


class OrderInfo(Contract):
    """The order as ``order.placed`` / ``order.confirmed`` describe it."""

    order_id: Identifier
    customer: Customer
    seller: Seller
    items: list[Item]
    marketplace: Identifier

    @classmethod
    def from_event(cls, event: OrderPlaced | OrderConfirmed) -> "OrderInfo":
        """Keep what the messages need from an order event."""
        return cls(
            order_id=event.order_id,
            customer=event.customer,
            seller=event.seller,
            items=event.items,
            marketplace=event.marketplace,
        )


@dataclass(frozen=True)
class MessageContext:
    """An order and the event that triggers messages about it."""

    order: OrderInfo
    event: EventData

    def __post_init__(self) -> None:
        if self.event.order_id != self.order.order_id:
            raise ValueError("the event belongs to another order")


@dataclass(frozen=True)
class Recipient:
    """Who an e-mail goes to; ``repr`` leaves out the address and the name."""

    audience: Audience
    locale: str
    time_zone: str
    address: str = field(repr=False)
    name: str = field(repr=False)


def recipient_for(order: OrderInfo, audience: Audience) -> Recipient:
    """The e-mail recipient of ``audience`` (customer or seller) for ``order``."""
    if audience is Audience.CUSTOMER:
        c = order.customer
        return Recipient(audience, c.locale, c.time_zone, str(c.email), c.name)
    if audience is Audience.SELLER:
        s = order.seller
        return Recipient(audience, SELLER_LOCALE, s.time_zone, str(s.email), s.name)
    raise ValueError("operations are reached through the chat webhook, not by e-mail")
