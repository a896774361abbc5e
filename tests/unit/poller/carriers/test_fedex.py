from pathlib import Path

import pytest

from services.poller.carriers.base import ParsedShipment, ProblemCode
from services.poller.carriers.fedex import statuses
from services.poller.carriers.fedex.mapper import parse
from shared.contracts.statuses import TrackingStatus

from .golden import check, scenarios, statuses_covered


@pytest.mark.parametrize("fixture", scenarios("fedex"), ids=lambda p: p.stem)
def test_golden(fixture: Path) -> None:
    check("fedex", fixture)


def test_golden_files_cover_every_mapped_status() -> None:
    mapped = {s.value for s in statuses.BY_EVENT_TYPE.values()}
    assert mapped | {TrackingStatus.DELIVERY_ATTEMPTED.value} <= statuses_covered("fedex")


def _result(scan_date: str, code: str) -> dict[str, object]:
    return {"scanEvents": [{"date": scan_date, "eventType": code, "eventDescription": code}]}


def _body(*results: dict[str, object]) -> dict[str, object]:
    complete = {"trackingNumber": "986578788855", "trackResults": list(results)}
    return {"output": {"completeTrackResults": [complete]}}


def test_reused_number_keeps_the_result_with_the_newest_scan_whatever_its_position() -> None:
    older, newer = _result("2023-01-01T10:00:00-05:00", "OD"), _result("2024-01-01T10:00:00Z", "DL")
    for order in ((older, newer), (newer, older)):
        [shipment] = parse(_body(*order), ())  # type: ignore[misc]
        assert isinstance(shipment, ParsedShipment)
        assert shipment.status is TrackingStatus.DELIVERED
        assert ProblemCode.DUPLICATE_RESULTS in {p.code for p in shipment.problems}


def test_on_vehicle_scan_is_out_for_delivery_although_its_derived_code_says_in_transit() -> None:
    body = _body({"scanEvents": [{"date": "2024-01-01T08:00:00-05:00", "eventType": "OD",
                                  "derivedStatusCode": "IT"}]})  # fmt: skip
    [shipment] = parse(body, ())  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    assert shipment.events[0].status is TrackingStatus.OUT_FOR_DELIVERY


def test_delay_scans_are_flagged_delayed() -> None:
    [shipment] = parse(_body(_result("2024-01-01T08:00:00-05:00", "DY")), ())  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    assert shipment.events[0].delayed
    assert shipment.events[0].status is TrackingStatus.IN_TRANSIT
