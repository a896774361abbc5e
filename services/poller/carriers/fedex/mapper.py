"""Pure mapping of FedEx Track API responses to normalized results (REFERENCE §2.3-2.4)."""

from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError

from services.poller.carriers import timestamps
from services.poller.carriers.base import (
    InvalidNumber,
    Malformed,
    NotFound,
    NumberOutcome,
    ParseResult,
    ProblemCode,
    Scan,
    ShipmentDraft,
    location,
    scan_time,
)
from services.poller.carriers.fedex import statuses
from services.poller.carriers.fedex.payloads import (
    CompleteTrackResult,
    ErrorResponse,
    LatestStatusDetail,
    Message,
    ScanEvent,
    TrackResponse,
    TrackResult,
)
from services.poller.carriers.timestamps import Stamp
from shared.contracts.statuses import TrackingStatus

CARRIER = "fedex"


def parse(body: object, requested: Sequence[str] = ()) -> ParseResult:
    """Map a FedEx track response (one entry per number) or a request-level error."""
    try:
        response = TrackResponse.model_validate(body)
    except ValidationError:
        return parse_error(body, requested)
    outcomes: list[NumberOutcome] = []
    for complete in response.output.complete_track_results:
        if complete.tracking_number is None:
            return Malformed("FedEx completeTrackResult without a tracking number")
        outcomes.append(_complete(complete, complete.tracking_number))
    return outcomes or Malformed("FedEx response without completeTrackResults")


def parse_error(body: object, requested: Sequence[str] = ()) -> ParseResult:
    """Classify a request-level ``errors`` body; it applies to every requested number."""
    try:
        errors = ErrorResponse.model_validate(body).errors
    except ValidationError:
        return Malformed("not a FedEx track response or error body")
    if not errors:
        return Malformed("FedEx error body without errors")
    return statuses.ERRORS.classify([errors[0].code or ""], _detail(errors[0]), requested)


def _detail(message: Message) -> str:
    return f"{message.code or ''} {message.message or ''}".strip()


def _complete(complete: CompleteTrackResult, number: str) -> NumberOutcome:
    """A reused number gives several results: keep the one with the newest scan."""
    with_data = [r for r in complete.track_results if r.latest_status_detail or r.scan_events]
    if not with_data:
        error = next((r.error for r in complete.track_results if r.error), None)
        return _number_error(error, number)
    drafts = [_result(result, number) for result in with_data]
    kept = max(drafts, key=_newest_scan)
    if len(complete.track_results) > 1:
        kept.problem(
            ProblemCode.DUPLICATE_RESULTS,
            f"{len(complete.track_results)} results for this number; kept the newest",
        )
    return kept.finish()


def _newest_scan(draft: ShipmentDraft) -> datetime:
    return max((t for t in map(scan_time, draft.events) if t is not None), default=datetime.min)


def _number_error(error: Message | None, number: str) -> NumberOutcome:
    if error is None:
        return NotFound(number, "no track results")
    if error.code in statuses.NOT_FOUND_ERRORS:
        return NotFound(number, _detail(error))
    if error.code in statuses.INVALID_NUMBER_ERRORS:
        return InvalidNumber(number, _detail(error))
    draft = ShipmentDraft(CARRIER, number)
    draft.problem(ProblemCode.CARRIER_ERROR, _detail(error))
    return draft.finish()


def _result(result: TrackResult, number: str) -> ShipmentDraft:
    draft = ShipmentDraft(CARRIER, number)
    if result.error is not None:
        draft.problem(ProblemCode.CARRIER_ERROR, _detail(result.error))
    if result.latest_status_detail is not None:
        draft.current = _latest_status(result.latest_status_detail, result, draft)
    draft.events = [_scan(event, draft) for event in result.scan_events]
    draft.estimate(_estimates(result))
    delivered = _date_time(result, "ACTUAL_DELIVERY")
    if delivered is not None:
        draft.delivered = _stamp(delivered, draft)
    details = result.delivery_details
    if details is not None:
        draft.signed_by = details.signed_by_name or details.received_by_name
    return draft


def _status(
    code: str | None,
    derived: str | None,
    reasons: tuple[str | None, ...],
    text: str,
    draft: ShipmentDraft,
) -> TrackingStatus:
    found = statuses.status_of(code, derived, reasons)
    if found is not None:
        return found
    draft.problem(ProblemCode.UNMAPPED_CODE, f"fedex code={code} derived={derived}: {text}")
    return TrackingStatus.UNKNOWN


def _latest_status(
    latest: LatestStatusDetail, result: TrackResult, draft: ShipmentDraft
) -> TrackingStatus:
    """The summary; a delivery exception after an attempt (``deliveryAttempts`` > 0) whose
    reason the table does not know is an attempt."""
    reasons = tuple(a.reason for a in latest.ancillary_details)
    status = _status(latest.code, latest.derived_code, reasons, latest.description or "", draft)
    attempts = result.delivery_details.delivery_attempts if result.delivery_details else None
    if status is TrackingStatus.EXCEPTION and latest.code == "DE" and _positive(attempts):
        return TrackingStatus.DELIVERY_ATTEMPTED
    return status


def _positive(count: str | None) -> bool:
    return count is not None and count.isdigit() and int(count) > 0


def _scan(event: ScanEvent, draft: ShipmentDraft) -> Scan:
    description = event.event_description or ""
    if event.exception_description and event.exception_description != description:
        description = f"{description} ({event.exception_description})".strip()
    code = event.event_type or ""
    status = _status(
        event.event_type, event.derived_status_code, (event.exception_code,), description, draft
    )
    stamp = _stamp(event.date, draft) if event.date else Stamp(None, None)
    where = event.scan_location
    return Scan(
        status=status,
        carrier_code=f"{code}:{event.exception_code}" if event.exception_code else code,
        description=description,
        occurred_at=stamp.utc,
        occurred_at_local=stamp.local,
        location=location(
            where.city, where.state_or_province_code, where.postal_code, where.country_code
        )
        if where
        else None,
        delayed=code in statuses.DELAY_CODES
        or (event.delay_detail is not None and event.delay_detail.status == "DELAYED"),
    )


def _stamp(text: str, draft: ShipmentDraft) -> Stamp:
    stamp = timestamps.from_iso(text)
    if stamp is None:
        draft.problem(ProblemCode.UNPARSEABLE_TIME, f"time {text!r} not understood")
        return Stamp(None, None)
    return stamp


def _date_time(result: TrackResult, kind: str) -> str | None:
    return next((d.date_time for d in result.date_and_times if d.type == kind), None)


def _estimates(result: TrackResult) -> tuple[str | None, ...]:
    """This parcel's estimate: the estimated delivery window, else ``dateAndTimes`` of type
    ESTIMATED_DELIVERY; the service's standard transit window only when neither is given
    and FedEx does not say the estimate is unavailable."""
    commit = result.service_commit_message
    unavailable = commit is not None and commit.type == statuses.ESTIMATE_UNAVAILABLE
    estimated = result.estimated_delivery_time_window
    standard = result.standard_transit_time_window
    window = estimated.window if estimated else None
    return (
        window.ends if window else None,
        window.begins if window else None,
        _date_time(result, "ESTIMATED_DELIVERY"),
        standard.window.ends if standard and standard.window and not unavailable else None,
    )
