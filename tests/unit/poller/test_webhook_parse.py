"""UPS Track Alert payloads mapped like Track API activities (push and poll dedup as one)."""

from datetime import UTC, date, datetime
from typing import Any

from services.poller.carriers.base import ParsedShipment, ProblemCode
from services.poller.carriers.ups.mapper import parse
from services.poller.carriers.ups.webhook import TrackAlert, parse_alert
from services.poller.tracking import fingerprint
from shared.contracts.statuses import TrackingStatus

NUMBER = "1Z5R89390357567127"


def _alert(**changes: Any) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "trackingNumber": NUMBER,
        "localActivityDate": "20260302",
        "localActivityTime": "091500",
        "gmtActivityDate": "20260302",
        "gmtActivityTime": "141500",
        "gmtOffset": "-05.00",
        "activityLocation": {"city": "Albany", "stateProvince": "NY", "country": "US"},
        "activityStatus": {
            "type": "I",
            "code": "OT",
            "description": "Out For Delivery Today ",
            "descriptionCode": "021",
        },
        "scheduledDeliveryDate": "20260302",
    }
    alert.update(changes)
    return alert


def _parsed(body: dict[str, Any]) -> ParsedShipment:
    parsed = parse_alert(TrackAlert.model_validate(body))
    assert parsed is not None
    return parsed


def test_an_alert_becomes_a_one_scan_answer() -> None:
    parsed = _parsed(_alert())
    [scan] = parsed.events
    assert parsed.status is TrackingStatus.OUT_FOR_DELIVERY
    assert (scan.carrier_code, scan.description) == ("I/OT/021", "Out For Delivery Today")
    assert scan.occurred_at == datetime(2026, 3, 2, 14, 15, tzinfo=UTC)
    assert scan.location is not None and scan.location.city == "Albany"
    assert parsed.estimated_delivery == date(2026, 3, 2)


def test_a_delivery_alert_carries_the_signer_and_delivery_time() -> None:
    status = {"type": "D", "code": "FS", "description": "Delivered", "descriptionCode": "011"}
    parsed = _parsed(_alert(activityStatus=status, receivedBy="K LEE"))
    assert parsed.status is TrackingStatus.DELIVERED
    assert parsed.signed_by == "K LEE"
    assert parsed.delivered_at == datetime(2026, 3, 2, 14, 15, tzinfo=UTC)


def test_without_gmt_fields_the_dotted_offset_gives_utc() -> None:
    parsed = _parsed(_alert(gmtActivityDate=None, gmtActivityTime=None, gmtOffset="-04.00"))
    assert parsed.events[0].occurred_at == datetime(2026, 3, 2, 13, 15, tzinfo=UTC)


def test_without_any_zone_the_local_time_is_kept_naive_and_flagged() -> None:
    parsed = _parsed(_alert(gmtActivityDate=None, gmtActivityTime=None, gmtOffset=None))
    assert parsed.events[0].occurred_at is None
    assert parsed.events[0].occurred_at_local == "2026-03-02T09:15:00"
    assert ProblemCode.NAIVE_TIME in {p.code for p in parsed.problems}


def test_type_d_alone_is_not_taken_for_delivered() -> None:
    status = {"type": "D", "code": "ZZ", "description": "Loaded on delivery vehicle"}
    parsed = _parsed(_alert(activityStatus=status))
    assert parsed.events[0].status is TrackingStatus.UNKNOWN
    assert ProblemCode.UNMAPPED_CODE in {p.code for p in parsed.problems}


def test_an_alert_without_number_or_status_is_refused() -> None:
    assert parse_alert(TrackAlert.model_validate(_alert(trackingNumber=None))) is None
    assert parse_alert(TrackAlert.model_validate(_alert(activityStatus=None))) is None


def test_the_same_activity_by_push_and_by_poll_has_one_fingerprint() -> None:
    activity = {
        "date": "20260302",
        "time": "091500",
        "gmtDate": "20260302",
        "gmtTime": "141500",
        "gmtOffset": "-05:00",
        "status": {"type": "I", "code": "OT", "statusCode": "021", "description": "Out"},
    }
    package = {"trackingNumber": NUMBER, "activity": [activity]}
    body = {"trackResponse": {"shipment": [{"inquiryNumber": NUMBER, "package": [package]}]}}
    [polled] = parse(body, [NUMBER])
    assert isinstance(polled, ParsedShipment)
    pushed = _parsed(_alert())
    assert fingerprint("ups", NUMBER, polled.events[0]) == fingerprint(
        "ups", NUMBER, pushed.events[0]
    )
