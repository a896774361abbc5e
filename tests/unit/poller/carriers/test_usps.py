from pathlib import Path

import pytest

from services.poller.carriers.base import InvalidNumber, NotFound, ParsedShipment
from services.poller.carriers.usps import statuses
from services.poller.carriers.usps.mapper import parse
from shared.contracts.statuses import TrackingStatus

from .golden import check, scenarios, statuses_covered


@pytest.mark.parametrize("fixture", scenarios("usps"), ids=lambda p: p.stem)
def test_golden(fixture: Path) -> None:
    check("usps", fixture)


def test_golden_files_cover_every_mapped_status() -> None:
    assert {s.value for s in statuses.BY_EVENT_CODE.values()} <= statuses_covered("usps")


def _error(code: str) -> dict[str, object]:
    return {"apiVersion": "/tracking/v3", "error": {"code": "400", "errors": [{"code": code}]}}


@pytest.mark.parametrize("code", sorted(statuses.NOT_YET_AVAILABLE))
def test_not_yet_available_codes_mean_keep_polling(code: str) -> None:
    assert parse(_error(code), ["9400111206206406260787"]) == [
        NotFound("9400111206206406260787", "400")
    ]


@pytest.mark.parametrize("code", sorted(statuses.REJECTED))
def test_rejected_codes_mean_invalid_number(code: str) -> None:
    [outcome] = parse(_error(code), ["9400111206206406260787"])  # type: ignore[misc]
    assert isinstance(outcome, InvalidNumber)


def test_event_timestamp_z_is_local_time_when_no_gmt_field_is_given() -> None:
    event = {"eventCode": "03", "eventTimestamp": "2023-08-02T07:31:00Z"}
    [shipment] = parse({"trackingNumber": "X", "trackingEvents": [event]}, ())  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    assert shipment.events[0].occurred_at is None
    assert shipment.events[0].occurred_at_local == "2023-08-02T07:31:00"


@pytest.mark.parametrize(
    ("category", "status"),
    [
        ("Delivery Attempt (Action Needed)", TrackingStatus.DELIVERY_ATTEMPTED),
        ("In Transit", TrackingStatus.IN_TRANSIT),
        ("Something Else", TrackingStatus.UNKNOWN),
    ],
)
def test_status_category_is_the_fallback_without_events(
    category: str, status: TrackingStatus
) -> None:
    [shipment] = parse({"trackingNumber": "X", "statusCategory": category}, ())  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    assert shipment.status is status
