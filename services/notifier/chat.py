"""Operations alerts as a Slack-compatible webhook payload (``text`` + ``blocks``).

Only order, seller and parcel facts go in: never the customer's name or address.
"""

from datetime import date, datetime
from enum import Enum
from typing import Any

from services.notifier.carriers import NAMES
from services.notifier.context import MessageContext
from services.notifier.kinds import TRIGGERS, MessageKind
from services.notifier.links import LinkSettings, tracking_link
from shared.contracts.events import Channel

K = MessageKind

TITLES: dict[MessageKind, str] = {
    K.OPS_SHIP_BY_MISSED: "Ship-by deadline missed",
    K.OPS_DELIVERY_LATE: "Delivery late",
    K.OPS_TRACKING_STALLED: "Tracking stalled",
    K.OPS_DELIVERED_DISPUTED: "Delivered but not received",
    K.OPS_DOCUMENTS_OVERDUE: "Dispute documents overdue (customer reminded): decide",
    K.OPS_DOCUMENTS_RECEIVED: "Late dispute documents received: decide",
    K.OPS_CARRIER_EXCEPTION: "Carrier exception",
}

# Event attributes shown as fields, in this order, when the event has them.
_FIELDS = (
    ("Severity", "severity"),
    ("Reason", "reason"),
    ("Missing", "missing"),
    ("Deadline", "deadline"),
    ("Case", "case_id"),
    ("Reported late", "late_report"),
    ("Carrier", "carrier"),
    ("Tracking number", "tracking_number"),
    ("Latest status", "latest_status"),
    ("Carrier says", "latest_description"),
    ("Last scan", "latest_scan_at"),
    ("Expected delivery", "estimated_delivery"),
    ("Expected delivery", "expected_delivery"),
    ("Delivered", "delivered_at"),
    ("Documents due", "documents_due"),
    ("Missing documents", "missing_documents"),
    ("Detected", "detected_at"),
)
_MAX_FIELDS = 10  # Slack's limit per section block


def escape(text: str) -> str:
    """Slack mrkdwn escaping, so names cannot ping channels or forge links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_payload(kind: MessageKind, context: MessageContext, links: LinkSettings) -> dict[str, Any]:
    """The webhook JSON for an operations alert of ``kind``."""
    if kind.channel is not Channel.CHAT:
        raise ValueError(f"{kind} is not a chat message")
    if not isinstance(context.event, TRIGGERS[kind]):
        raise TypeError(f"{kind} is built from {TRIGGERS[kind].event_type} events")
    order, event = context.order, context.event
    title = TITLES[kind]
    if getattr(event, "late_report", False):
        title = f"{title} (reported late): decide"
    seller = f"{escape(order.seller.name)} (`{order.seller.id}`)"
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_value(attribute, value, context, links)}"}
        for label, attribute in _FIELDS
        if (value := getattr(event, attribute, None)) not in (None, [], False)
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Order* `{order.order_id}` · *Seller* {seller}"},
        },
    ]
    blocks += [
        {"type": "section", "fields": fields[start : start + _MAX_FIELDS]}
        for start in range(0, len(fields), _MAX_FIELDS)
    ]
    return {"text": f"{title}: order {order.order_id}, seller {seller}", "blocks": blocks}


def _value(attribute: str, value: object, context: MessageContext, links: LinkSettings) -> str:
    if attribute == "carrier":
        return escape(NAMES.get(str(value), str(value)))
    if attribute == "tracking_number":
        url = tracking_link(getattr(context.event, "carrier", None), str(value), links)
        return f"<{url}|{escape(str(value))}>" if url else escape(str(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(escape(str(item)) for item in value)
    if isinstance(value, Enum):
        return escape(str(value.value))
    return escape(str(value))
