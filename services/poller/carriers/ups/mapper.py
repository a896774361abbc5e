"""Pure mapping of UPS Track API responses to normalized results (REFERENCE §1.3-1.4)."""

from collections.abc import Sequence
from datetime import UTC, datetime

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
from services.poller.carriers.timestamps import Stamp
from services.poller.carriers.ups import statuses
from services.poller.carriers.ups.payloads import (
    Activity,
    ErrorResponse,
    Package,
    Shipment,
    Status,
    TrackApiResponse,
)
from shared.contracts.statuses import TrackingStatus

CARRIER = "ups"


def parse(body: object, requested: Sequence[str] = ()) -> ParseResult:
    """Map a UPS track response or error envelope; ``requested`` names the inquiry number."""
    try:
        response = TrackApiResponse.model_validate(body)
    except ValidationError:
        return parse_error(body, requested)
    fallback = requested[0] if requested else None
    outcomes: list[NumberOutcome] = []
    for shipment in response.track_response.shipment:
        number = shipment.inquiry_number or fallback
        if not shipment.package:
            outcomes.append(NotFound(number, _warnings(shipment) or "no package in response"))
        for package in shipment.package:
            tracking_number = package.tracking_number or number
            if tracking_number is None:
                return Malformed("UPS package without a tracking number")
            outcomes.append(_package(package, tracking_number))
    return outcomes or Malformed("UPS trackResponse without shipments")


def parse_error(body: object, requested: Sequence[str] = ()) -> ParseResult:
    """Classify the ``{"response": {"errors": [...]}}`` envelope by its first code."""
    try:
        errors = ErrorResponse.model_validate(body).response.errors
    except ValidationError:
        return Malformed("not a UPS track response or error envelope")
    if not errors:
        return Malformed("UPS error envelope without errors")
    code = errors[0].code or ""
    detail = f"{code} {errors[0].message or ''}".strip()
    return statuses.ERRORS.classify([code], detail, requested)


def _warnings(shipment: Shipment) -> str:
    return "; ".join(f"{w.code or ''} {w.message or ''}".strip() for w in shipment.warnings)


def _package(package: Package, tracking_number: str) -> NumberOutcome:
    draft = ShipmentDraft(CARRIER, tracking_number)
    if package.current_status is not None:
        draft.current, _ = _status(_summary(package.current_status), draft)
    draft.events = [_scan(activity, draft) for activity in package.activity]
    draft.estimate(_estimates(package), timestamps.compact_date)
    if not any(e.status is TrackingStatus.DELIVERED for e in draft.events):
        draft.delivered = _delivered(package)
    if package.delivery_information is not None:
        draft.signed_by = package.delivery_information.received_by
    return draft.finish()


def _status(status: Status, draft: ShipmentDraft) -> tuple[TrackingStatus, bool]:
    found = statuses.status_of(status.type, status.code, status.status_code)
    if found is not None:
        return found, statuses.is_delay(status.status_code)
    draft.problem(
        ProblemCode.UNMAPPED_CODE,
        f"ups type={status.type} code={status.code} statusCode={status.status_code}: "
        f"{status.description or ''}".strip(),
    )
    return TrackingStatus.UNKNOWN, False


def _summary(status: Status) -> Status:
    """Real answers give ``currentStatus`` its Status/Description code in ``code`` ("011")
    and no ``statusCode``: three digits there are that code, not a scan or exception code."""
    code = status.code or ""
    if status.status_code is None and len(code) == 3 and code.isdigit():
        return status.model_copy(update={"status_code": code, "code": None})
    return status


def _scan(activity: Activity, draft: ShipmentDraft) -> Scan:
    status = activity.status or Status()
    normalized, delayed = _status(status, draft)
    stamp = _activity_time(activity)
    if stamp is None:
        draft.problem(
            ProblemCode.UNPARSEABLE_TIME,
            f"activity time {activity.date!r} {activity.time!r} not understood",
        )
        stamp = Stamp(None, None)
    address = activity.location.address if activity.location else None
    return Scan(
        status=normalized,
        carrier_code="/".join((status.type or "", status.code or "", status.status_code or "")),
        description=status.description or "",
        occurred_at=stamp.utc,
        occurred_at_local=stamp.local,
        location=location(
            address.city,
            address.state_province,
            address.postal_code,
            address.country_code or address.country,
        )
        if address
        else None,
        delayed=delayed,
    )


def _activity_time(activity: Activity) -> Stamp | None:
    """GMT pair as UTC, else local time plus ``gmtOffset``, else naive local."""
    if activity.gmt_date and activity.gmt_time:
        gmt = timestamps.compact_datetime(activity.gmt_date, activity.gmt_time)
        if gmt is not None:
            return Stamp(datetime.fromisoformat(gmt).replace(tzinfo=UTC), None)
    if not (activity.date and activity.time):
        return None
    local = timestamps.compact_datetime(activity.date, activity.time)
    if local is None:
        return None
    if activity.gmt_offset:
        aware = timestamps.with_offset(local, activity.gmt_offset)
        if aware is not None:
            return aware
    return Stamp(None, local)


def _estimates(package: Package) -> tuple[str | None, ...]:
    """Rescheduled (``RDD``), else scheduled (``SDD``); ``DEL`` is the delivery date."""
    by_type = {d.type: d.date for d in package.delivery_date if d.type and d.date}
    return by_type.get("RDD"), by_type.get("SDD")


def _delivered(package: Package) -> Stamp | None:
    day = next((d.date for d in package.delivery_date if d.type == "DEL" and d.date), None)
    time = package.delivery_time
    if day is None or time is None or time.type != "DEL" or not time.end_time:
        return None
    local = timestamps.compact_datetime(day, time.end_time)
    return Stamp(None, local) if local else None
