"""Carrier push: UPS Track Alert webhook calls feed the same path as a poll.

UPS POSTs one activity per call (REFERENCE §1.5) with the credential configured in its
developer portal in the ``x-api-key`` header. The activity is mapped like a Track API
activity (same ``type/code/statusCode`` carrier code, same UTC time), so a scan seen
first by push and later by poll has one fingerprint and is published once.
"""

import hmac
import logging
from datetime import UTC, datetime

import asyncpg
from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import SecretStr, ValidationError

from services.poller import store, tracking_numbers
from services.poller.carriers import timestamps
from services.poller.carriers.base import ParsedShipment, ProblemCode, Scan, ShipmentDraft, location
from services.poller.carriers.payload import Payload, Text
from services.poller.carriers.timestamps import Stamp
from services.poller.carriers.ups import statuses
from services.poller.metrics import PollerMetrics
from services.poller.scheduler import PollingPolicy
from services.poller.worker import count_events, decide
from shared.contracts.statuses import TrackingStatus
from shared.infra.clock import Clock

log = logging.getLogger(__name__)

CARRIER = "ups"
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


def router(
    *,
    pool: asyncpg.Pool,
    clock: Clock,
    policy: PollingPolicy,
    credential: SecretStr,
    metrics: PollerMetrics,
) -> APIRouter:
    """The Track Alert endpoint, answering 200 once the activity is stored."""
    api = APIRouter(tags=["carrier push"])
    expected = credential.get_secret_value().encode()

    @api.post(PATH, summary="UPS Track Alert webhook")
    async def ups_track_alert(
        request: Request, x_api_key: str | None = Header(None)
    ) -> dict[str, int]:
        if x_api_key is None or not hmac.compare_digest(x_api_key.encode(), expected):
            metrics.webhook_calls.labels(CARRIER, "unauthorized").inc()
            raise HTTPException(401, "missing or wrong x-api-key")
        body = await request.body()
        try:
            parsed = parse_alert(TrackAlert.model_validate_json(body))
        except ValidationError:
            parsed = None
        if parsed is None:
            metrics.webhook_calls.labels(CARRIER, "invalid").inc()
            log.warning("invalid Track Alert payload", extra={"bytes": len(body)})
            raise HTTPException(400, "not a Track Alert payload with a number and a status")
        accepted = 0
        for shipment_id, generation in await store.active_with_number(
            pool, CARRIER, parsed.tracking_number
        ):
            now = clock.now()
            result = await store.apply(
                pool,
                shipment_id,
                generation,
                decide(parsed, policy, now),
                source="push",
                raw=body,
                outcome="push",
                now=now,
            )
            if result is not None:
                accepted += 1
                count_events(metrics, result)
        metrics.webhook_calls.labels(CARRIER, "accepted" if accepted else "unknown_number").inc()
        return {"accepted": accepted}

    return api
