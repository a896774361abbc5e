from pathlib import Path

import pytest

from services.poller.carriers.base import NotFound, ParsedShipment, ProblemCode
from services.poller.carriers.ups import statuses
from services.poller.carriers.ups.mapper import parse
from shared.contracts.statuses import TrackingStatus

from .golden import check, scenarios, statuses_covered


@pytest.mark.parametrize("fixture", scenarios("ups"), ids=lambda p: p.stem)
def test_golden(fixture: Path) -> None:
    check("ups", fixture)


def test_golden_files_cover_every_mapped_status() -> None:
    mapped = {s.value for s in statuses.BY_STATUS_CODE.values()}
    assert mapped <= statuses_covered("ups")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (70, TrackingStatus.IN_TRANSIT),  # "not at the Access Point yet"
        (43, TrackingStatus.UNKNOWN),  # a voided pickup request, not a voided shipment
        (7, TrackingStatus.CANCELLED),
        (118, TrackingStatus.RETURNED_TO_SENDER),
        (117, TrackingStatus.UNKNOWN),
    ],
)
def test_status_code_table_reads_the_reference_notes(code: int, status: TrackingStatus) -> None:
    assert statuses.BY_STATUS_CODE[code] is status


def _activity(**status: str) -> dict[str, object]:
    return {"date": "20240101", "time": "120000", "status": status}


def _body(*activities: dict[str, object], **package: object) -> dict[str, object]:
    package = {"trackingNumber": "1Z5R89390357567127", "activity": list(activities), **package}
    return {
        "trackResponse": {
            "shipment": [{"inquiryNumber": "1Z5R89390357567127", "package": [package]}]
        }
    }


def _only(body: object) -> ParsedShipment:
    [shipment] = parse(body, ())  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    return shipment


def test_type_d_alone_is_not_delivered_when_status_code_says_out_for_delivery() -> None:
    shipment = _only(_body(_activity(type="D", code="OT", statusCode="021")))
    assert shipment.status is TrackingStatus.OUT_FOR_DELIVERY


def test_unknown_code_is_never_guessed() -> None:
    shipment = _only(_body(_activity(type="ZZ", code="??", statusCode="777")))
    assert shipment.status is TrackingStatus.UNKNOWN
    assert ProblemCode.UNMAPPED_CODE in {p.code for p in shipment.problems}


@pytest.mark.parametrize(
    ("gmt_time", "expected"),
    [("1234", "00:12:34"), ("74700", "07:47:00"), ("5", "00:00:05"), ("235959", "23:59:59")],
)
def test_gmt_time_shorter_than_six_digits_is_left_padded(gmt_time: str, expected: str) -> None:
    activity = {**_activity(type="I", statusCode="005"), "gmtDate": "20240101", "gmtTime": gmt_time}
    event = _only(_body(activity)).events[0]
    assert event.occurred_at is not None
    assert event.occurred_at.isoformat() == f"2024-01-01T{expected}+00:00"


def test_delivered_date_and_time_without_a_delivered_scan_is_local() -> None:
    shipment = _only(
        _body(
            deliveryDate=[{"type": "DEL", "date": "20240102"}],
            deliveryTime={"type": "DEL", "endTime": "093000"},
        )
    )
    assert (shipment.delivered_at, shipment.delivered_at_local) == (None, "2024-01-02T09:30:00")


def test_not_found_uses_the_requested_number() -> None:
    body = {"trackResponse": {"shipment": [{"warnings": [{"code": "TW0001"}]}]}}
    assert parse(body, ["1Z879E930346834440"]) == [NotFound("1Z879E930346834440", "TW0001")]
