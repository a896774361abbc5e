"""UPS Track API v1 bodies: ``trackResponse`` with activities newest first, and errors."""

from typing import Any

from parcelwatch.dev.emulator.lifecycle import Event, Journey, Place, Step
from parcelwatch.dev.emulator.render.sites import Site, us_route

ROUTE = us_route(Site("LOUISVILLE", "KY", "40213", "US", -5))
_SLIC = {Place.ORIGIN: "9002", Place.HUB: "4021", Place.DESTINATION: "1120"}

# type, code, statusCode, description (as UPS prints it, trailing spaces included)
_STATUS: dict[Step, tuple[str, str, str, str]] = {
    Step.LABEL: (
        "M", "MP", "003", "Shipper created a label, UPS has not received the package yet. ",
    ),
    Step.PICKUP: ("I", "OC", "005", "We have your package"),
    Step.DEPART: ("I", "DP", "005", "Departed from Facility"),
    Step.ARRIVE: ("I", "AR", "005", "Arrived at Facility"),
    Step.DELAY: ("I", "WD", "048", "Delay: adverse weather conditions caused this delay"),
    Step.OUT_FOR_DELIVERY: ("I", "OT", "021", "Out For Delivery Today"),
    Step.ATTEMPTED: (
        "X", "48", "022",
        "The receiver was not available for delivery. "
        "We'll make a second attempt the next business day.",
    ),
    Step.REDIRECTED: (
        "X", "89", "013",
        "We were unable to deliver your package. "
        "It\u2019s on the way to a secure UPS Access Point\u2122 location for pick up.",
    ),
    Step.DELIVERED: ("D", "FS", "011", "DELIVERED "),
    Step.READY_FOR_PICKUP: (
        "D", "2Q", "017", "Delivered to UPS Access Point\u2122 - Awaiting Customer Pickup",
    ),
    Step.COLLECTED: ("D", "KB", "011", "Picked up at UPS Access Point\u2122"),
    Step.ADDRESS_PROBLEM: (
        "X", "AD", "013", "The address has an error. We're attempting to update it.",
    ),
    Step.LOST: ("X", "LS", "029", "We're unable to locate the package. A search has started."),
    Step.DAMAGED: ("X", "DM", "030", "Damage reported. The package is being evaluated."),
    Step.RETURNED: ("I", "RS", "033", "Returning to Sender: The receiver refused the delivery."),
}  # fmt: skip

NOT_FOUND = ("TW0001", "Tracking Information Not Found")
INVALID_NUMBER = ("TV1002", "Invalid inquiry number")
TOKEN_UNKNOWN = ("250002", "Invalid Authentication Information.")
TOKEN_EXPIRED = ("251004", "Bearer token expired")
RATE_LIMITED = ("10429", "Too Many Requests")
SERVER_ERROR = ("10004", "System error, please try again later")
CLIENT_INVALID = ("10401", "ClientId is Invalid")
UNKNOWN_ERROR = ("199999", "Unexpected condition")  # in no classifier table on purpose


def error(code_and_message: tuple[str, str]) -> dict[str, Any]:
    """The ``{"response": {"errors": [...]}}`` envelope every UPS API uses."""
    code, message = code_and_message
    return {"response": {"errors": [{"code": code, "message": message}]}}


def track_response(number: str, journey: Journey) -> dict[str, Any]:
    """The response for one inquiry number with at least one scan."""
    latest = _STATUS[journey.events[0].step]
    package: dict[str, Any] = {
        "trackingNumber": number,
        "currentStatus": _status(latest) | {"simplifiedTextDescription": latest[3].strip()},
        "activity": [_activity(event) for event in journey.events],
        "packageAddress": [
            {"type": kind, "address": _address(ROUTE[place])}
            for kind, place in (("ORIGIN", Place.ORIGIN), ("DESTINATION", Place.DESTINATION))
        ],
        "service": {"code": "003", "description": "UPS Ground"},
        "weight": {"unitOfMeasurement": "LBS", "weight": "2.00"},
        **_delivery(journey),
    }
    return {"trackResponse": {"shipment": [{"inquiryNumber": number, "package": [package]}]}}


def _delivery(journey: Journey) -> dict[str, Any]:
    """``DEL`` date, time and receiver once delivered; else the scheduled date (``SDD``)."""
    delivered = journey.delivered
    if delivered is not None:
        local = ROUTE[delivered.place].local(delivered.at)
        return {
            "deliveryDate": [{"type": "DEL", "date": local.strftime("%Y%m%d")}],
            "deliveryTime": {"type": "DEL", "endTime": local.strftime("%H%M%S")},
            "deliveryInformation": {"receivedBy": journey.signer or "", "location": "Front Door"},
        }
    if journey.estimated is None:
        return {"deliveryDate": []}
    day = ROUTE[Place.DESTINATION].local(journey.estimated).strftime("%Y%m%d")
    return {
        "deliveryDate": [{"type": "SDD", "date": day}],
        "deliveryTime": {"type": "EOD", "endTime": "235900"},
    }


def _activity(event: Event) -> dict[str, Any]:
    site = ROUTE[event.place]
    local = site.local(event.at)
    address = (
        {"countryCode": site.country, "country": site.country}
        if event.step is Step.LABEL
        else _address(site)
    )
    return {
        "location": {"address": address, "slic": _SLIC[event.place]},
        "status": _status(_STATUS[event.step]),
        "date": local.strftime("%Y%m%d"),
        "time": local.strftime("%H%M%S"),
        "gmtDate": event.at.strftime("%Y%m%d"),
        "gmtOffset": site.offset_text(),
        "gmtTime": event.at.strftime("%H:%M:%S"),
    }


def _status(status: tuple[str, str, str, str]) -> dict[str, str]:
    kind, code, status_code, description = status
    return {"type": kind, "description": description, "code": code, "statusCode": status_code}


def _address(site: Site) -> dict[str, str]:
    return {
        "city": site.city,
        "stateProvince": site.state or "",
        "postalCode": site.postal_code,
        "countryCode": site.country,
        "country": site.country,
    }
