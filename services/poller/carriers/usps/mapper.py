"""Pure mapping of USPS Tracking v3 responses to normalized results (REFERENCE §3.3-3.4)."""

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from services.poller.carriers import timestamps
from services.poller.carriers.base import (
    Malformed,
    ParseResult,
    ProblemCode,
    Scan,
    ShipmentDraft,
    location,
    scan_time,
)
from services.poller.carriers.timestamps import Stamp
from services.poller.carriers.usps import statuses
from services.poller.carriers.usps.payloads import (
    DeliveryDateExpectation,
    ErrorResponse,
    TrackingEvent,
    TrackingResponse,
)
from shared.contracts.statuses import TrackingStatus

CARRIER = "usps"


def parse(body: object, requested: Sequence[str] = ()) -> ParseResult:
    """Map one USPS tracking response, or its error body (``requested`` names the number)."""
    try:
        response = TrackingResponse.model_validate(body)
    except ValidationError:
        return parse_error(body, requested)
    draft = ShipmentDraft(CARRIER, response.tracking_number)
    scans = [(_scan(event, draft), event) for event in response.tracking_events]
    draft.events = [scan for scan, _ in scans]
    draft.fallback = _category(response.status_category, draft)
    draft.estimate(_estimates(response))
    delivered = [(s, e) for s, e in scans if s.status is TrackingStatus.DELIVERED]
    if delivered:
        _, event = max(delivered, key=lambda pair: scan_time(pair[0]) or datetime.min)
        draft.signed_by = event.name or event.recipient_name or event.firm
    return [draft.finish()]


def parse_error(body: object, requested: Sequence[str] = ()) -> ParseResult:
    """Classify a USPS error body by the codes it carries (top level and nested)."""
    try:
        error = ErrorResponse.model_validate(body).error
    except ValidationError:
        return Malformed("not a USPS tracking response or error body")
    codes = {error.code, *(e.code for e in error.errors)}
    nested = "; ".join(e.detail or e.title or "" for e in error.errors if e.detail or e.title)
    detail = " ".join(filter(None, (error.code, error.message, nested)))
    return statuses.ERRORS.classify(filter(None, codes), detail, requested)


def _scan(event: TrackingEvent, draft: ShipmentDraft) -> Scan:
    code = event.event_code or ""
    status = statuses.TABLE.status("eventCode", code)
    if status is None:
        draft.problem(ProblemCode.UNMAPPED_CODE, f"usps eventCode={code}: {event.event_type}")
        status = TrackingStatus.UNKNOWN
    stamp = _event_time(event)
    if stamp is None:
        draft.problem(
            ProblemCode.UNPARSEABLE_TIME,
            f"event time {event.event_timestamp!r} / {event.gmt_timestamp!r} not understood",
        )
        stamp = Stamp(None, None)
    return Scan(
        status=status,
        carrier_code=code,
        description=event.event_type or "",
        occurred_at=stamp.utc,
        occurred_at_local=stamp.local,
        location=location(
            event.event_city,
            event.event_state,
            event.event_zip or event.event_zip_code,
            event.event_country,
        ),
    )


def _event_time(event: TrackingEvent) -> Stamp | None:
    """``GMTTimestamp``, else local time plus ``GMTOffset``, else naive local.

    ``eventTimestamp`` is local wall time even when it ends in a misleading ``Z``.
    """
    if event.gmt_timestamp:
        gmt = timestamps.from_iso(event.gmt_timestamp)
        if gmt is not None:
            if gmt.local is not None:
                return Stamp(datetime.fromisoformat(gmt.local).replace(tzinfo=UTC), None)
            return gmt
    if not event.event_timestamp:
        return None
    local = timestamps.naive_iso(event.event_timestamp)
    if local is None or local.local is None:
        return None
    if event.gmt_offset:
        return timestamps.with_offset(local.local, event.gmt_offset) or local
    return local


def _category(category: str | None, draft: ShipmentDraft) -> TrackingStatus | None:
    if category is None:
        return None
    status = statuses.category_status(category)
    if status is None:
        draft.problem(ProblemCode.UNMAPPED_CODE, f"usps statusCategory={category}")
    return status


def _estimates(response: TrackingResponse) -> tuple[str | None, ...]:
    """The expected delivery date, else the predicted one, else the guaranteed one — at the
    top level (v3) or in ``deliveryDateExpectation`` (v3r2)."""
    nested = response.delivery_date_expectation or DeliveryDateExpectation()
    return (
        response.expected_delivery_time_stamp,
        response.expected_delivery_date,
        nested.expected_delivery_date,
        response.predicted_delivery_date,
        response.predicted_delivery_time_stamp,
        nested.predicted_delivery_date,
        response.guaranteed_delivery_time_stamp,
        nested.guaranteed_delivery_date,
    )
