"""Hostile customer-supplied values for the security tests, and helpers to send them."""

from html.parser import HTMLParser
from typing import Any

from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import OrderPlaced
from tests.integration.notifier.scenario import order_placed


def hostile_order(order_id: str, **changes: Any) -> CloudEvent[OrderPlaced]:
    """The scenario's order for ``order_id`` with customer, seller or item fields replaced:
    ``customer={"name": ...}``, ``seller={...}``, ``titles=[...]``."""
    data = order_placed(order_id).data.model_dump(mode="json")
    data["customer"].update(changes.get("customer", {}))
    data["seller"].update(changes.get("seller", {}))
    for item, title in zip(data["items"], changes.get("titles", ()), strict=False):
        item["title"] = title
    return new_event(OrderPlaced.model_validate(data), "tests", event_id=f"{order_id}.placed")


class Tags(HTMLParser):
    """Every start tag and its attributes, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser.tags
