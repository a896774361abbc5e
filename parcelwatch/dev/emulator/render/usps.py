"""USPS Tracking API v3 bodies (``expand=DETAIL``): ``trackingEvents`` newest first, and errors."""

from typing import Any

from parcelwatch.dev.emulator.lifecycle import Event, Journey, Place, Step
from parcelwatch.dev.emulator.render.sites import Site, us_route

ROUTE = us_route(Site("CHICAGO", "IL", "60608", "US", -6))
API_VERSION = "/tracking/v3"

# eventCode, eventType, statusCategory (a category the mapper knows)
_EVENTS: dict[Step, tuple[str, str, str]] = {
    Step.LABEL: ("GX", "Shipping Label Created, USPS Awaiting Item", "Pre-Shipment"),
    Step.PICKUP: ("03", "USPS in possession of item", "Accepted"),
    Step.DEPART: ("T1", "Departed USPS Regional Facility", "In Transit"),
    Step.ARRIVE: ("A1", "Arrived at USPS Regional Facility", "In Transit"),
    Step.DELAY: ("TL", "In Transit to Next Facility, Arriving Late", "In Transit"),
    Step.OUT_FOR_DELIVERY: ("OF", "Out for Delivery", "Out for Delivery"),
    Step.ATTEMPTED: (
        "02",
        "Notice Left (No Authorized Recipient Available)",
        "Delivery Attempt (Action Needed)",
    ),
    Step.REDIRECTED: ("52", "Notice Left", "Delivery Attempt (Action Needed)"),
    Step.DELIVERED: ("01", "Delivered, Left with Individual", "Delivered"),
    Step.READY_FOR_PICKUP: ("16", "Available for Pickup", "Available for Pickup"),
    Step.COLLECTED: ("43", "Delivered, Individual Picked Up at Post Office", "Delivered"),
    Step.ADDRESS_PROBLEM: ("05", "Undeliverable as Addressed", "Alert"),
    Step.LOST: ("DX", "Delivery Status Not Updated", "Alert"),
    Step.DAMAGED: ("11", "Damaged, Sent to Mail Recovery Center", "Alert"),
    Step.RETURNED: ("09", "Return to Sender", "Alert"),
}
_PLACE_EVENTS: dict[tuple[Step, Place], tuple[str, str]] = {
    (Step.DEPART, Place.ORIGIN): ("SF", "Departed Post Office"),
    (Step.ARRIVE, Place.DESTINATION): ("07", "Arrived at Post Office"),
}
_FRONT_DOOR = "Delivered, Front Door/Porch"

NOT_FOUND = (
    "150002",
    "Status Not Available",
    "The tracking number may be incorrect or the status update is not yet available.",
)
UNKNOWN_ERROR = (  # in no classifier table on purpose
    "159999",
    "Unexpected Condition",
    "The request could not be completed.",
)
REJECTED = (
    "150004",
    "Tracking Not Available",
    "Tracking information for this item is not available via this site.",
)


def error(status: int, message: str, detail: tuple[str, str, str] | None = None) -> dict[str, Any]:
    """The ``{"apiVersion", "error": {...}}`` body; ``detail`` is (code, title, detail)."""
    errors = []
    if detail is not None:
        code, title, text = detail
        errors.append({"status": str(status), "code": code, "title": title, "detail": text})
    return {
        "apiVersion": API_VERSION,
        "error": {"code": str(status), "message": message, "errors": errors},
    }


def oauth_error(kind: str, description: str) -> dict[str, str]:
    """RFC 6749 token error, as the USPS OAuth server sends it."""
    return {"error": kind, "error_description": description}


def tracking_response(number: str, journey: Journey, *, detail: bool) -> dict[str, Any]:
    """The response for a number with at least one scan; SUMMARY leaves out the events."""
    latest = journey.events[0]
    origin, destination = ROUTE[Place.ORIGIN], ROUTE[Place.DESTINATION]
    body: dict[str, Any] = {
        "trackingNumber": number,
        "status": _event_type(latest, journey),
        "statusCategory": _EVENTS[latest.step][2],
        "statusSummary": _summary(latest, journey),
        "mailClass": "USPS Ground Advantage<SUP>&#153;</SUP>",
        "mailType": "DM",
        "originCity": origin.city,
        "originState": origin.state,
        "originZIP": origin.postal_code,
        "destinationCity": destination.city,
        "destinationState": destination.state,
        "destinationZIP": destination.postal_code,
        "proofOfDeliveryEnabled": "true" if journey.delivered else "false",
    }
    if journey.estimated is not None and journey.delivered is None:
        day = destination.local(journey.estimated).date().isoformat()
        body["expectedDeliveryTimeStamp"] = f"{day}T21:00:00Z"
        body["expectedDeliveryType"] = "EXPECTED"
    if detail:
        body["trackingEvents"] = [_event(event, journey) for event in journey.events]
    return body


def _code(event: Event) -> str:
    return _PLACE_EVENTS.get((event.step, event.place), _EVENTS[event.step][:2])[0]


def _event_type(event: Event, journey: Journey) -> str:
    if event.step is Step.DELIVERED and journey.signer is None:
        return _FRONT_DOOR
    return _PLACE_EVENTS.get((event.step, event.place), _EVENTS[event.step][:2])[1]


def _summary(event: Event, journey: Journey) -> str:
    site = ROUTE[event.place]
    local = site.local(event.at)
    clock = local.strftime("%I:%M %p").lstrip("0").lower()
    when = f"{clock} on {local:%B} {local.day}, {local.year}"
    return f"{_event_type(event, journey)}, {when} in {site.city}, {site.state} {site.postal_code}."


def _event(event: Event, journey: Journey) -> dict[str, Any]:
    site = ROUTE[event.place]
    signer = journey.signer if event.step in (Step.DELIVERED, Step.COLLECTED) else None
    return {
        "eventType": _event_type(event, journey),
        "eventTimestamp": site.local(event.at).replace(tzinfo=None, second=0).isoformat(),
        "GMTTimestamp": event.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "GMTOffset": site.offset_text(),
        "eventCountry": None,
        "eventCity": site.city,
        "eventState": site.state,
        "eventZIP": site.postal_code,
        "firm": None,
        "name": signer,
        "authorizedAgent": "false",
        "eventCode": _code(event),
    }
