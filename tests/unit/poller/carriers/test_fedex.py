from pathlib import Path

import pytest

from services.poller.carriers.base import ParsedShipment, ProblemCode
from services.poller.carriers.codes import CodeRow
from services.poller.carriers.fedex import statuses
from services.poller.carriers.fedex.mapper import parse
from shared.contracts.statuses import TrackingStatus as S

from .golden import check, scenarios

# Written from FedEx's own definitions (docs/carriers/fedex.md), not from codes.csv: every
# row of the table must appear here with the same status.
EXPECTED: dict[str, dict[S, str]] = {
    "eventType": {
        S.LABEL_CREATED: "OC AP EP DS PD",
        S.IN_TRANSIT: "AA AC AF AO AR AX CH DD DP DY EA EO FD IT IX LO OF OW OX PF PL PM PU PX "
        "SF TR CC CD CP",
        S.OUT_FOR_DELIVERY: "OD ED AD",
        S.AVAILABLE_FOR_PICKUP: "HL HP",
        S.DELIVERED: "DL",
        S.EXCEPTION: "DE SE",
        S.RETURNED_TO_SENDER: "RS",
        S.CANCELLED: "CA",
        S.UNKNOWN: "DR RR RM RC RP LP RG RD SP",
    },
    "derivedCode": {
        S.LABEL_CREATED: "IN",
        S.IN_TRANSIT: "PU IT DY RL",
        S.AVAILABLE_FOR_PICKUP: "HL",
        S.DELIVERED: "DL",
        S.EXCEPTION: "DE",
    },
    "reason": {
        S.DELIVERY_ATTEMPTED: "007 08 A13 A47",
        S.RETURNED_TO_SENDER: "060G",
    },
}


def _expected(field: str, code: str) -> S | None:
    return next((s for s, codes in EXPECTED[field].items() if code in codes.split()), None)


@pytest.mark.parametrize("fixture", scenarios("fedex"), ids=lambda p: p.stem)
def test_golden(fixture: Path) -> None:
    check("fedex", fixture)


def test_every_table_row_has_an_expectation_and_every_expectation_a_row() -> None:
    listed = {(row.field, row.code) for row in statuses.TABLE.rows}
    expected = {(f, c) for f, by in EXPECTED.items() for cs in by.values() for c in cs.split()}
    assert listed == expected


def _scan_for(row: CodeRow) -> dict[str, str]:
    if row.field == "eventType":
        return {"eventType": row.code, "eventDescription": row.carrier_text}
    if row.field == "derivedCode":
        return {"eventType": "??", "derivedStatusCode": row.code}
    # A reason beside a delivery exception scan.
    return {"eventType": "DE", "exceptionCode": row.code, "exceptionDescription": row.carrier_text}


@pytest.mark.parametrize(
    "row", statuses.TABLE.rows, ids=lambda r: f"{r.field}-{r.code}-{r.status.value}"
)
def test_each_code_reads_as_fedex_defines_it(row: CodeRow) -> None:
    shipment = _only(
        _body({"scanEvents": [{"date": "2024-01-01T08:00:00-05:00", **_scan_for(row)}]})
    )
    assert shipment.events[0].status is _expected(row.field, row.code)
    assert ProblemCode.UNMAPPED_CODE not in {p.code for p in shipment.problems}


def _result(scan_date: str, code: str) -> dict[str, object]:
    return {"scanEvents": [{"date": scan_date, "eventType": code, "eventDescription": code}]}


def _body(*results: dict[str, object]) -> dict[str, object]:
    complete = {"trackingNumber": "986578788855", "trackResults": list(results)}
    return {"output": {"completeTrackResults": [complete]}}


def _only(body: object) -> ParsedShipment:
    [shipment] = parse(body, ())  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    return shipment


def test_reused_number_keeps_the_result_with_the_newest_scan_whatever_its_position() -> None:
    older, newer = _result("2023-01-01T10:00:00-05:00", "OD"), _result("2024-01-01T10:00:00Z", "DL")
    for order in ((older, newer), (newer, older)):
        shipment = _only(_body(*order))
        assert shipment.status is S.DELIVERED
        assert ProblemCode.DUPLICATE_RESULTS in {p.code for p in shipment.problems}


def test_on_vehicle_scan_is_out_for_delivery_although_its_derived_code_says_in_transit() -> None:
    body = _body({"scanEvents": [{"date": "2024-01-01T08:00:00-05:00", "eventType": "OD",
                                  "derivedStatusCode": "IT"}]})  # fmt: skip
    assert _only(body).events[0].status is S.OUT_FOR_DELIVERY


def test_delay_scans_are_flagged_delayed() -> None:
    shipment = _only(_body(_result("2024-01-01T08:00:00-05:00", "DY")))
    assert shipment.events[0].delayed
    assert shipment.events[0].status is S.IN_TRANSIT


def test_newest_scan_wins_over_a_stale_delivery_exception_summary() -> None:
    latest = {"code": "DE", "derivedCode": "DE", "description": "Delivery exception"}
    scans = [
        {"date": "2024-01-02T08:00:00-06:00", "eventType": "RS", "derivedStatusCode": "DL"},
        {"date": "2024-01-01T08:00:00-06:00", "eventType": "OD", "derivedStatusCode": "IT"},
    ]
    shipment = _only(_body({"latestStatusDetail": latest, "scanEvents": scans}))
    assert shipment.status is S.RETURNED_TO_SENDER
    assert shipment.delivered_at is None  # derived DL on a return scan is not a delivery


def test_summary_decides_only_without_scans() -> None:
    latest = {"code": "DE", "ancillaryDetails": [{"reason": "007"}]}
    assert _only(_body({"latestStatusDetail": latest})).status is S.DELIVERY_ATTEMPTED


def test_estimated_delivery_wins_over_the_standard_transit_window() -> None:
    result = {
        **_result("2024-01-01T08:00:00-05:00", "IT"),
        "dateAndTimes": [{"type": "ESTIMATED_DELIVERY", "dateTime": "2024-01-05T00:00:00-06:00"}],
        "standardTransitTimeWindow": {"window": {"ends": "2024-01-03T00:00:00-06:00"}},
        "estimatedDeliveryTimeWindow": {"window": {}},
    }
    estimate = _only(_body(result)).estimated_delivery
    assert estimate is not None
    assert estimate.isoformat() == "2024-01-05"
