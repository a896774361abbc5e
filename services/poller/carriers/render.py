"""JSON view of parse results, shared by the CLI and the golden-file tests.

A naive-local time prints as the local ISO string without an offset (aware times always
carry ``+00:00``), and the shipment carries a ``naive_time`` problem.
"""

from typing import Any

from services.poller.carriers.base import (
    AuthFailed,
    CallFailure,
    CarrierDown,
    Malformed,
    NotFound,
    NumberOutcome,
    ParsedShipment,
    ProblemCode,
    RateLimited,
    Scan,
)
from shared.contracts.statuses import TrackingStatus

JSON = dict[str, Any]

FAILURE_KINDS: dict[type[CallFailure], str] = {
    AuthFailed: "auth_failed",
    RateLimited: "rate_limited",
    CarrierDown: "carrier_down",
    Malformed: "malformed",
}


def outcome(carrier: str, item: NumberOutcome) -> JSON:
    """One tracking number: a parsed shipment, or ``unknown`` with the reason as a problem."""
    if isinstance(item, ParsedShipment):
        return shipment(item)
    code = ProblemCode.NOT_FOUND if isinstance(item, NotFound) else ProblemCode.INVALID_NUMBER
    return {
        "carrier": carrier,
        "tracking_number": item.tracking_number,
        "status": TrackingStatus.UNKNOWN.value,
        "estimated_delivery": None,
        "delivered_at": None,
        "signed_by": None,
        "events": [],
        "problems": [{"code": code.value, "detail": item.detail}],
    }


def shipment(item: ParsedShipment) -> JSON:
    """A parsed shipment as the CLI prints it."""
    delivered = item.delivered_at.isoformat() if item.delivered_at else item.delivered_at_local
    return {
        "carrier": item.carrier,
        "tracking_number": item.tracking_number,
        "status": item.status.value,
        "estimated_delivery": item.estimated_delivery.isoformat()
        if item.estimated_delivery
        else None,
        "delivered_at": delivered,
        "signed_by": item.signed_by,
        "events": [scan(event) for event in item.events],
        "problems": [{"code": p.code.value, "detail": p.detail} for p in item.problems],
    }


def scan(event: Scan) -> JSON:
    """One event: ``occurred_at`` is UTC with offset, or the naive local string."""
    return {
        "status": event.status.value,
        "carrier_code": event.carrier_code,
        "description": event.description,
        "occurred_at": event.occurred_at.isoformat()
        if event.occurred_at
        else event.occurred_at_local,
        "location": event.location.model_dump() if event.location else None,
    }


def failure(item: CallFailure) -> JSON:
    """A failure of the whole call."""
    rendered: JSON = {"failure": FAILURE_KINDS[type(item)], "detail": item.detail}
    if isinstance(item, RateLimited | CarrierDown):
        rendered["retry_after"] = item.retry_after
    return rendered


def result(carrier: str, parsed: list[NumberOutcome] | CallFailure) -> JSON | list[JSON]:
    """Everything a parse produced, as JSON."""
    if isinstance(parsed, list):
        return [outcome(carrier, item) for item in parsed]
    return failure(parsed)
