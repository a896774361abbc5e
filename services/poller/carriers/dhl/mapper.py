"""Pure mapping of DHL Unified tracking responses to normalized results (REFERENCE §4.3-4.4)."""

from collections.abc import Sequence

from pydantic import ValidationError

from services.poller.carriers import timestamps
from services.poller.carriers.base import (
    Malformed,
    NotFound,
    NumberOutcome,
    ParseResult,
    ProblemCode,
    Scan,
    ShipmentDraft,
    location,
)
from services.poller.carriers.dhl import statuses
from services.poller.carriers.dhl.payloads import Event, Person, Problem, Shipment, TrackResponse
from services.poller.carriers.timestamps import Stamp
from shared.contracts.statuses import TrackingStatus

CARRIER = "dhl"


def parse(body: object, requested: Sequence[str] = ()) -> ParseResult:
    """Map a DHL ``shipments`` response, or its RFC 7807 error body."""
    try:
        response = TrackResponse.model_validate(body)
    except ValidationError:
        return parse_error(body, requested)
    numbers: Sequence[str | None] = requested or [None]
    if not response.shipments:
        return [NotFound(n, "no shipments in response") for n in numbers]
    outcomes: list[NumberOutcome] = []
    for shipment in response.shipments:
        number = shipment.id or numbers[0]
        if number is None:
            return Malformed("DHL shipment without an id")
        outcomes.append(_shipment(shipment, number))
    return outcomes


def parse_error(body: object, requested: Sequence[str] = ()) -> ParseResult:
    """Classify an error body by its HTTP-like ``status`` / ``statusCode``."""
    try:
        problem = Problem.model_validate(body)
    except ValidationError:
        return Malformed("not a DHL tracking response or error body")
    code = problem.status or problem.status_code or ""
    detail = " ".join(filter(None, (code, problem.title, problem.detail)))
    if not code:
        return Malformed("not a DHL tracking response or known error: empty")
    return statuses.ERRORS.classify([code], detail, requested)


def _shipment(shipment: Shipment, number: str) -> NumberOutcome:
    draft = ShipmentDraft(CARRIER, number)
    if shipment.status is not None:
        draft.current = _status(shipment.status, draft)
    if shipment.return_flag:
        draft.current = TrackingStatus.RETURNED_TO_SENDER
    draft.events = [_scan(event, draft) for event in shipment.events]
    draft.estimate(_estimates(shipment))
    pod = shipment.details.proof_of_delivery if shipment.details else None
    if pod is not None:
        if pod.timestamp:
            draft.delivered = _stamp(pod.timestamp, draft)
        draft.signed_by = _name(pod.signed)
    return draft.finish()


def _status(event: Event, draft: ShipmentDraft) -> TrackingStatus:
    found = statuses.status_of(
        event.status_code, (event.status, event.status_detailed, event.description)
    )
    if found is not None:
        return found
    draft.problem(
        ProblemCode.UNMAPPED_CODE,
        f"dhl statusCode={event.status_code} status={event.status}"
        + (f": {event.description}" if event.description else ""),
    )
    return TrackingStatus.UNKNOWN


def _scan(event: Event, draft: ShipmentDraft) -> Scan:
    stamp = _stamp(event.timestamp, draft) if event.timestamp else Stamp(None, None)
    address = event.location.address if event.location else None
    code = event.status_code or ""
    return Scan(
        status=_status(event, draft),
        carrier_code=f"{code}/{event.status_detailed}" if event.status_detailed else code,
        description=_description(event),
        occurred_at=stamp.utc,
        occurred_at_local=stamp.local,
        location=location(address.address_locality, None, address.postal_code, address.country_code)
        if address
        else None,
    )


def _estimates(shipment: Shipment) -> tuple[str | None, ...]:
    """``estimatedTimeOfDelivery``, else the end (or start) of ``estimatedDeliveryTimeFrame``."""
    frame = shipment.estimated_delivery_time_frame
    return (
        shipment.estimated_time_of_delivery,
        frame.estimated_through if frame else None,
        frame.estimated_from if frame else None,
    )


def _description(event: Event) -> str:
    status, description = event.status or "", event.description or ""
    if not description or description.upper().startswith(status.upper()):
        return description or status
    return f"{status}: {description}" if status else description


def _stamp(text: str, draft: ShipmentDraft) -> Stamp:
    stamp = timestamps.from_iso(text)
    if stamp is None:
        draft.problem(ProblemCode.UNPARSEABLE_TIME, f"time {text!r} not understood")
        return Stamp(None, None)
    return stamp


def _name(person: Person | None) -> str | None:
    if person is None:
        return None
    return person.name or " ".join(filter(None, (person.given_name, person.family_name))) or None
