"""FedEx Track API v1 bodies: ``completeTrackResults`` with ``scanEvents``, and errors."""

import uuid
from typing import Any

from parcelwatch.dev.emulator.lifecycle import Event, Journey, Place, Step
from parcelwatch.dev.emulator.render.sites import Site, us_route

ROUTE = us_route(Site("MEMPHIS", "TN", "38118", "US", -6))

# eventType, eventDescription, derivedStatusCode, derivedStatus, exception code/description
_SCANS: dict[Step, tuple[str, str, str, str, str, str]] = {
    Step.LABEL: ("OC", "Shipment information sent to FedEx", "IN", "Label created", "", ""),
    Step.PICKUP: ("PU", "Picked up", "PU", "Picked up", "", ""),
    Step.DEPART: ("DP", "Departed FedEx location", "IT", "In transit", "", ""),
    Step.ARRIVE: ("AR", "Arrived at FedEx location", "IT", "In transit", "", ""),
    Step.DELAY: ("DY", "Delay", "DY", "Delay", "", "Local weather conditions"),
    Step.OUT_FOR_DELIVERY: ("OD", "On FedEx vehicle for delivery", "IT", "In transit", "", ""),
    Step.ATTEMPTED: (
        "DE", "Delivery exception", "DE", "Delivery exception",
        "08", "Customer not available or business closed",
    ),
    Step.REDIRECTED: (
        "DE", "Delivery exception", "DE", "Delivery exception",
        "A13", "Redirecting to FedEx Office",
    ),
    Step.DELIVERED: ("DL", "Delivered", "DL", "Delivered", "", ""),
    Step.READY_FOR_PICKUP: ("HP", "Ready for recipient pickup", "IT", "In transit", "", ""),
    Step.COLLECTED: ("DL", "Delivered", "DL", "Delivered", "", ""),
    Step.ADDRESS_PROBLEM: (
        "DE", "Delivery exception", "DE", "Delivery exception", "03", "Incorrect address",
    ),
    Step.LOST: ("SE", "Shipment exception", "DE", "Delivery exception", "", "Package not located"),
    Step.DAMAGED: ("SE", "Shipment exception", "DE", "Delivery exception", "", "Package damaged"),
    Step.RETURNED: ("RS", "Return to shipper", "RS", "Return to shipper", "07", "Refused"),
}  # fmt: skip

NOT_FOUND = (
    "TRACKING.TRACKINGNUMBER.NOTFOUND",
    "Tracking number cannot be found. Please correct the tracking number and try again.",
)
INVALID_NUMBER = (
    "TRACKING.TRACKINGNUMBER.INVALID",
    "Invalid tracking number. Please correct the tracking number format and try again.",
)
EMPTY = ("TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
TOO_MANY_NUMBERS = ("BAD.REQUEST.ERROR", "Maximum of 30 tracking numbers per request.")
TOKEN_INVALID = (
    "NOT.AUTHORIZED.ERROR",
    "Access token expired. Please modify your request and try again.",
)
UNKNOWN_ERROR = (  # in no classifier table on purpose
    "SYSTEM.UNEXPECTED.ERROR",
    "An unexpected condition occurred. Please try again later.",
)
CREDENTIALS_INVALID = (
    "NOT.AUTHORIZED.ERROR",
    "The given client credentials were not valid. Please modify your request and try again.",
)
RATE_LIMITED = (
    "TOO.MANY.REQUESTS.ERROR",
    "We have received too many requests in a short duration. Please wait a while to try again.",
)
SERVER_ERROR = (
    "INTERNAL.SERVER.ERROR",
    "We encountered an unexpected error and are working to resolve the issue. "
    "We apologize for any inconvenience. Please check back at a later time.",
)
UNAVAILABLE = (
    "SERVICE.UNAVAILABLE.ERROR",
    "The service is currently unavailable and we are working to resolve the issue. "
    "We apologize for any inconvenience. Please check back at a later time.",
)


def error(code_and_message: tuple[str, str]) -> dict[str, Any]:
    """A request-level error body."""
    code, message = code_and_message
    return {"transactionId": str(uuid.uuid4()), "errors": [{"code": code, "message": message}]}


def track_response(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The response around one ``completeTrackResult`` per requested number."""
    return {"transactionId": str(uuid.uuid4()), "output": {"completeTrackResults": results}}


def number_error(number: str, code_and_message: tuple[str, str]) -> dict[str, Any]:
    """A per-number error (HTTP 200): not found or invalid."""
    code, message = code_and_message
    result = {
        "trackingNumberInfo": _number_info(number),
        "error": {"code": code, "message": message},
    }
    return {"trackingNumber": number, "trackResults": [result]}


def complete_result(number: str, journey: Journey) -> dict[str, Any]:
    """The ``completeTrackResult`` of a number with at least one scan."""
    latest = journey.events[0]
    code, description, derived, derived_text, reason, reason_text = _SCANS[latest.step]
    latest_detail: dict[str, Any] = {
        "code": code,
        "derivedCode": derived,
        "statusByLocale": derived_text,
        "description": description,
        "scanLocation": _location(ROUTE[latest.place]),
        "ancillaryDetails": [{"reason": reason, "reasonDescription": reason_text}]
        if reason
        else [],
    }
    if latest.step is Step.DELAY:
        latest_detail["delayDetail"] = {"status": "DELAYED"}
    result = {
        "trackingNumberInfo": _number_info(number),
        "latestStatusDetail": latest_detail,
        "dateAndTimes": _dates(journey),
        "scanEvents": [_scan(event) for event in journey.events],
        "estimatedDeliveryTimeWindow": {"window": {}},
        "standardTransitTimeWindow": {"window": _window(journey)},
        "deliveryDetails": {
            "receivedByName": journey.signer or "",
            "deliveryAttempts": str(sum(e.step is Step.ATTEMPTED for e in journey.events)),
            "locationDescription": "Front Door" if journey.delivered else "",
        },
        "serviceDetail": {"type": "FEDEX_GROUND", "description": "FedEx Ground"},
    }
    return {"trackingNumber": number, "trackResults": [result]}


def _number_info(number: str) -> dict[str, str]:
    return {
        "trackingNumber": number,
        "carrierCode": "FDXG",
        "trackingNumberUniqueId": f"12029~{number}~FDEG",
    }


def _iso(event: Event | None) -> str | None:
    if event is None:
        return None
    return ROUTE[event.place].local(event.at).isoformat()


def _dates(journey: Journey) -> list[dict[str, str]]:
    first = {e.step: e for e in journey.events}  # oldest wins: events are newest first
    kinds = (
        ("ACTUAL_DELIVERY", journey.delivered),
        ("ACTUAL_PICKUP", first.get(Step.PICKUP)),
        ("ATTEMPTED_DELIVERY", first.get(Step.ATTEMPTED)),
    )
    return [{"type": kind, "dateTime": text} for kind, e in kinds if (text := _iso(e))]


def _window(journey: Journey) -> dict[str, str]:
    if journey.estimated is None:
        return {}
    day = ROUTE[Place.DESTINATION].local(journey.estimated).date()
    return {"ends": f"{day.isoformat()}T00:00:00{ROUTE[Place.DESTINATION].offset_text()}"}


def _scan(event: Event) -> dict[str, Any]:
    code, description, derived, derived_text, reason, reason_text = _SCANS[event.step]
    site = ROUTE[event.place]
    return {
        "date": site.local(event.at).isoformat(),
        "eventType": code,
        "eventDescription": description,
        "exceptionCode": reason,
        "exceptionDescription": reason_text,
        "scanLocation": _location(site),
        "locationType": "FEDEX_FACILITY",
        "derivedStatusCode": derived,
        "derivedStatus": derived_text,
    }


def _location(site: Site) -> dict[str, Any]:
    return {
        "city": site.city,
        "stateOrProvinceCode": site.state,
        "postalCode": site.postal_code,
        "countryCode": site.country,
        "residential": False,
    }
