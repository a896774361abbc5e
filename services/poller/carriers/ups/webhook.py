"""UPS Track Alert: the push UPS sends for each activity of a subscribed number.

UPS POSTs one activity per call (REFERENCE §1.5) with the credential configured in its
developer portal in the ``x-api-key`` header. The activity is mapped like a Track API
activity (same ``type/code/statusCode`` carrier code, same UTC time), so a scan seen
first by push and later by poll has one fingerprint and is published once.
"""

from datetime import UTC, datetime

from pydantic import ValidationError

from services.poller import tracking_numbers
from services.poller.carriers import timestamps
from services.poller.carriers.base import ParsedShipment, ProblemCode, Scan, ShipmentDraft, location
from services.poller.carriers.payload import Payload, Text
from services.poller.carriers.timestamps import Stamp
from services.poller.carriers.ups import statuses
from services.poller.carriers.ups.mapper import CARRIER
from shared.contracts.statuses import TrackingStatus

PATH = "/webhooks/ups/track-alert"


class AlertLocation(Payload):
    city: Text = None
    state_province: Text = None
    postal_code: Text = None
    country: Text = None


class AlertStatus(Payload):
    type: Text = None
    code: Text = None
    description: Text = None
    description_code: Text = None


class TrackAlert(Payload):
    """The Track Alert webhook body (the fields ParcelWatch reads)."""

    tracking_number: Text = None
    local_activity_date: Text = None
    local_activity_time: Text = None
    gmt_activity_date: Text = None
    gmt_activity_time: Text = None
    gmt_offset: Text = None
    activity_location: AlertLocation | None = None
    activity_status: AlertStatus | None = None
    scheduled_delivery_date: Text = None
    received_by: Text = None


def parse_alert(alert: TrackAlert) -> ParsedShipment | None:
    """The alert as a one-scan answer; None without a tracking number or a status."""
    if not alert.tracking_number or alert.activity_status is None:
        return None
    draft = ShipmentDraft(CARRIER, tracking_numbers.compact(alert.tracking_number))
    status = alert.activity_status
    stamp = _time(alert)
    if stamp is None:
        draft.problem(ProblemCode.UNPARSEABLE_TIME, "activity time not understood")
        stamp = Stamp(None, None)
    place = alert.activity_location
    draft.events = [
        Scan(
            status=_status(status, draft),
            carrier_code="/".join(
                (status.type or "", status.code or "", status.description_code or "")
            ),
            description=status.description or "",
            occurred_at=stamp.utc,
            occurred_at_local=stamp.local,
            location=location(place.city, place.state_province, place.postal_code, place.country)
            if place
            else None,
        )
    ]
    if alert.scheduled_delivery_date:
        draft.estimated_delivery = timestamps.compact_date(alert.scheduled_delivery_date)
    draft.signed_by = alert.received_by
    return draft.finish()


def _status(status: AlertStatus, draft: ShipmentDraft) -> TrackingStatus:
    """``descriptionCode`` is a Status/Description code; read like a Track API activity."""
    found = statuses.status_of(status.type, status.code, status.description_code)
    if found is not None:
        return found
    draft.problem(
        ProblemCode.UNMAPPED_CODE,
        f"ups alert type={status.type} descriptionCode={status.description_code}: "
        f"{status.description or ''}".strip(),
    )
    return TrackingStatus.UNKNOWN


def _time(alert: TrackAlert) -> Stamp | None:
    """GMT pair as UTC, else local time plus ``gmtOffset``, else naive local."""
    if alert.gmt_activity_date and alert.gmt_activity_time:
        gmt = timestamps.compact_datetime(alert.gmt_activity_date, alert.gmt_activity_time)
        if gmt is not None:
            return Stamp(datetime.fromisoformat(gmt).replace(tzinfo=UTC), None)
    if not (alert.local_activity_date and alert.local_activity_time):
        return None
    local = timestamps.compact_datetime(alert.local_activity_date, alert.local_activity_time)
    if local is None:
        return None
    if alert.gmt_offset:
        aware = timestamps.with_offset(local, alert.gmt_offset)
        if aware is not None:
            return aware
    return Stamp(None, local)


def parse(body: bytes) -> ParsedShipment | None:
    """A Track Alert body as a one-scan answer; None when it is not one."""
    try:
        return parse_alert(TrackAlert.model_validate_json(body))
    except ValidationError:
        return None
