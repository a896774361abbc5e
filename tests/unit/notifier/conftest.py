"""Shared fixtures: a renderer with the default link templates, order builders, and the
parsed form of a built e-mail."""

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest

from services.notifier.context import MessageContext, OrderInfo
from services.notifier.links import LinkSettings
from services.notifier.mail import OutgoingEmail
from services.notifier.rendering import Renderer
from services.notifier.samples import sample_order
from shared.contracts.common import Customer, Item, Seller
from shared.contracts.events import EventData


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer(LinkSettings())


def order_with(
    locale: str = "en",
    *,
    customer: dict[str, Any] | None = None,
    seller: dict[str, Any] | None = None,
    items: list[str] | None = None,
) -> OrderInfo:
    """The sample order with validated changes to the customer, seller or item titles."""
    base = sample_order(locale)
    return base.model_copy(
        update={
            "customer": Customer.model_validate({**base.customer.model_dump(), **(customer or {})}),
            "seller": Seller.model_validate({**base.seller.model_dump(), **(seller or {})}),
            "items": [Item(sku=f"sku-{i}", title=t) for i, t in enumerate(items)]
            if items
            else base.items,
        }
    )


def context_of(event: EventData, order: OrderInfo | None = None) -> MessageContext:
    return MessageContext(order or sample_order(), event)


def plain(text: str) -> str:
    """Text with no-break spaces (babel and French typography use them) as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def parsed(email: OutgoingEmail) -> EmailMessage:
    """The e-mail as a mail client reads it: its bytes, parsed (with the LF line ends of a
    local mail store, so that text parts read as they were rendered)."""
    message = message_from_bytes(email.data.replace(b"\r\n", b"\n"), policy=default)
    assert isinstance(message, EmailMessage)
    return message
