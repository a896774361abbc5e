"""The ops page's order timeline, built from the query APIs' answers (pure)."""

from parcelwatch.ops.timeline import build

INBOX = "http://inbox"
ORDER = {
    "placed_at": "2026-11-23T14:55:00Z",
    "confirmed_at": "2026-11-23T15:00:00Z",
    "cancelled_at": None,
    "shipments": [
        {
            "carrier": "ups",
            "tracking_number": "1Z1",
            "registered_at": "2026-11-23T15:00:00Z",
            "invalid_reason": "check_digit",
        }
    ],
    "breaches": [
        {
            "kind": "ship_by_missed",
            "severity": "seller",
            "raised_at": "2026-11-24T06:59:59Z",
            "resolved_at": None,
            "resolution": None,
        }
    ],
    "disputes": [],
}
SCANS = {
    "sh-1": [
        {
            "status": "in_transit",
            "description": "Departed",
            "location": {"city": "Louisville", "state": None, "country": "US"},
            "occurred_at": None,
            "observed_at": "2026-11-24T01:00:00+00:00",
        }
    ]
}
SENT = {
    "kind": "customer_shipped",
    "audience": "customer",
    "channel": "email",
    "state": "sent",
    "message_id": "<a@b>",
    "created_at": "2026-11-24T01:00:00Z",
    "finished_at": "2026-11-24T01:00:05Z",
}
PENDING = SENT | {"kind": "seller_ship_by_missed", "state": "pending", "message_id": None}


def test_entries_are_in_time_order_whatever_the_offset_notation() -> None:
    entries = build(ORDER, SCANS, [SENT], message_links={}, inbox_url=INBOX)
    assert [(e.source, e.title) for e in entries] == [
        ("order", "Order placed"),
        ("order", "Order confirmed"),
        ("shipment", "Shipment registered"),
        ("shipment", "Tracking number invalid"),
        ("scan", "Scan: in_transit"),  # no carrier time: when it was observed
        ("message", "Message: customer_shipped"),
        ("sla", "SLA: ship_by_missed"),
    ]
    assert entries[4].detail == "Departed · Louisville, US · sh-1"
    assert entries[2].detail == "UPS 1Z1"


def test_a_message_links_to_its_inbox_page_or_else_to_the_inbox() -> None:
    links = {"<a@b>": "http://inbox/messages/m1"}
    sent, pending = build(None, {}, [SENT, PENDING], message_links=links, inbox_url=INBOX)
    assert sent.link == "http://inbox/messages/m1"
    assert sent.at == SENT["finished_at"]
    assert sent.detail == "to customer by email · sent"
    assert pending.link == INBOX
