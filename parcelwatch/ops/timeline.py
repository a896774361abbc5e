"""One timeline of everything that happened to an order, from the three query APIs' answers
(pure: the caller fetches)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class Entry(BaseModel):
    """One thing that happened; ``at`` is an ISO 8601 time, ``link`` a page to open."""

    at: str
    source: str
    title: str
    detail: str = ""
    link: str | None = None


def _place(location: Mapping[str, Any] | None) -> str:
    if not location:
        return ""
    return ", ".join(str(v) for k in ("city", "state", "country") if (v := location.get(k)))


def build(
    order: Mapping[str, Any] | None,
    scans: Mapping[str, Sequence[Mapping[str, Any]]],
    notifications: Sequence[Mapping[str, Any]],
    *,
    message_links: Mapping[str, str],
    inbox_url: str,
) -> list[Entry]:
    """Entries in time order: order facts and SLA events (``order``, the sla API's answer),
    carrier scans by shipment id (the poller's), messages (the notifier's), each message
    linked to its inbox page when ``message_links`` (Message-ID → URL) knows it."""
    entries: list[Entry] = []

    def add(
        at: str | None, source: str, title: str, detail: str = "", link: str | None = None
    ) -> None:
        if at:
            entries.append(Entry(at=at, source=source, title=title, detail=detail, link=link))

    if order:
        add(order.get("placed_at"), "order", "Order placed")
        add(order.get("confirmed_at"), "order", "Order confirmed")
        add(order.get("cancelled_at"), "order", "Order cancelled")
        for s in order.get("shipments", []):
            number = f"{s['carrier'].upper()} {s['tracking_number']}"
            add(s.get("registered_at"), "shipment", "Shipment registered", number)
            if s.get("invalid_reason"):
                add(
                    s.get("registered_at"),
                    "shipment",
                    "Tracking number invalid",
                    s["invalid_reason"],
                )
        for b in order.get("breaches", []):
            add(b["raised_at"], "sla", f"SLA: {b['kind']}", f"severity {b['severity']}")
            add(
                b.get("resolved_at"), "sla", f"SLA resolved: {b['kind']}", b.get("resolution") or ""
            )
        for d in order.get("disputes", []):
            add(
                d.get("reported_at"), "dispute", "Reported delivered but not received", d["case_id"]
            )
            add(d.get("resolved_at"), "dispute", "Dispute resolved", d.get("resolution") or "")
    for shipment_id, events in scans.items():
        for e in events:
            place = _place(e.get("location"))
            detail = " · ".join(x for x in (e["description"], place, shipment_id) if x)
            add(e.get("occurred_at") or e["observed_at"], "scan", f"Scan: {e['status']}", detail)
    for n in notifications:
        link = message_links.get(n.get("message_id") or "", inbox_url)
        detail = f"to {n['audience']} by {n['channel']} · {n['state']}"
        add(
            n.get("finished_at") or n["created_at"],
            "message",
            f"Message: {n['kind']}",
            detail,
            link,
        )
    return sorted(entries, key=lambda e: datetime.fromisoformat(e.at))
