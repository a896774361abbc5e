"""DHL Shipment Tracking - Unified bodies: ``shipments`` with naive local times, and errors."""

from datetime import datetime
from typing import Any

from parcelwatch.dev.emulator.lifecycle import Event, Journey, Place, Step
from parcelwatch.dev.emulator.render.sites import Route, Site

ROUTE: Route = {
    Place.ORIGIN: Site("Bonn", None, "53113", "DE", 1),
    Place.HUB: Site("Leipzig", None, "04435", "DE", 1),
    Place.DESTINATION: Site("Berlin", None, "10115", "DE", 1),
}

# statusCode (coarse), status (the text the mapper refines it with)
_EVENTS: dict[Step, tuple[str, str]] = {
    Step.LABEL: ("pre-transit", "Shipment information received"),
    Step.PICKUP: ("transit", "Shipment picked up"),
    Step.DEPART: ("transit", "Departed facility"),
    Step.ARRIVE: ("transit", "Arrived at sort facility"),
    Step.DELAY: ("transit", "Delivery delayed due to high volume"),
    Step.OUT_FOR_DELIVERY: ("transit", "With delivery courier"),
    Step.ATTEMPTED: ("failure", "Delivery attempted; recipient not home"),
    Step.REDIRECTED: ("transit", "NOT_HOME"),
    Step.DELIVERED: ("delivered", "Delivered"),
    Step.READY_FOR_PICKUP: ("transit", "Ready for pickup at DHL Service Point"),
    Step.COLLECTED: ("delivered", "Delivered - collected by the recipient"),
    Step.ADDRESS_PROBLEM: ("failure", "Address incorrect - clarification in progress"),
    Step.LOST: ("failure", "Shipment cannot be located - investigation started"),
    Step.DAMAGED: ("failure", "Shipment damaged"),
    Step.RETURNED: ("transit", "Returned to shipper - the recipient refused the shipment"),
}


def problem(status: int, title: str, detail: str, number: str | None = None) -> dict[str, Any]:
    """RFC 7807-style error body (``instance`` names the number for 404s)."""
    body: dict[str, Any] = {"title": title, "detail": detail, "status": status}
    if number is not None:
        body["instance"] = f"/shipment/{number}"
    return body


def unauthorized() -> dict[str, Any]:
    """The gateway's 401 body (it says ``statusCode``, not ``status``)."""
    return {
        "title": "Unauthorized",
        "statusCode": 401,
        "detail": "Unauthorized for given resource.",
    }


def not_found(number: str) -> dict[str, Any]:
    """404 body for a number DHL does not know (DHL has no separate invalid-number error)."""
    return problem(404, "No result found", "No shipment with given tracking number found.", number)


def track_response(number: str, journey: Journey) -> dict[str, Any]:
    """The response for a number with at least one scan."""
    events = [_event(event) for event in journey.events]
    shipment: dict[str, Any] = {
        "id": number,
        "service": "express",
        "origin": _place(ROUTE[Place.ORIGIN]),
        "destination": _place(ROUTE[Place.DESTINATION]),
        "status": events[0],
        "details": _details(number, journey),
        "events": events,
        "serviceUrl": "https://www.dhl.com/de-en/home/tracking/tracking-parcel.html"
        f"?submit=1&tracking-id={number}",
    }
    if journey.estimated is not None:
        shipment["estimatedTimeOfDelivery"] = _local(journey.estimated, Place.DESTINATION)
    if journey.events[0].step is Step.RETURNED:
        shipment["returnFlag"] = True
    return {"shipments": [shipment], "possibleAdditionalShipmentsUrl": []}


def _details(number: str, journey: Journey) -> dict[str, Any]:
    details: dict[str, Any] = {
        "product": {"productName": "DHL PARCEL"},
        "totalNumberOfPieces": 1,
        "pieceIds": [f"JD01460000{number[-10:]}"],
    }
    delivered = journey.delivered
    if delivered is not None:
        pod: dict[str, Any] = {"timestamp": _local(delivered.at, delivered.place)}
        if journey.signer:
            pod["signed"] = {"name": journey.signer}
        details["proofOfDelivery"] = pod
    return details


def _event(event: Event) -> dict[str, Any]:
    code, status = _EVENTS[event.step]
    return {
        "timestamp": _local(event.at, event.place),
        "location": _place(ROUTE[event.place]),
        "statusCode": code,
        "status": status,
        "description": status,
    }


def _local(at: datetime, place: Place) -> str:
    return ROUTE[place].local(at).replace(tzinfo=None).isoformat()


def _place(site: Site) -> dict[str, Any]:
    return {
        "address": {
            "addressLocality": f"{site.city} - Germany",
            "postalCode": site.postal_code,
            "countryCode": site.country,
        }
    }
