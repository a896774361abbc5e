from pathlib import Path

import pytest

from services.poller.carriers.base import InvalidNumber, NotFound, ParsedShipment, ProblemCode
from services.poller.carriers.codes import CodeRow
from services.poller.carriers.usps import statuses
from services.poller.carriers.usps.mapper import parse
from shared.contracts.statuses import TrackingStatus
from shared.contracts.statuses import TrackingStatus as S

from .golden import check, scenarios

# Written from the USPS event names (docs/carriers/usps.md), not from codes.csv: every row
# of the table must appear here with the same status.
EXPECTED: dict[str, dict[S, str]] = {
    "eventCode": {
        S.LABEL_CREATED: "MA GX",
        S.IN_TRANSIT: "03 TM PA 06 07 08 10 15 19 41 42 71 80 81 82 EF SF PC A1 T1 TL",
        S.OUT_FOR_DELIVERY: "OF",
        S.AVAILABLE_FOR_PICKUP: "14 16",
        S.DELIVERY_ATTEMPTED: "02 52 53 54 55 56 30 51",
        S.DELIVERED: "01 17 43",
        S.EXCEPTION: "04 05 11 DX",
        S.RETURNED_TO_SENDER: "09 21 22 23 24 25 26 27 28 29 31 44",
    },
    "statusCategory": {
        S.LABEL_CREATED: "Pre-Shipment",
        S.IN_TRANSIT: "Accepted|In Transit",
        S.OUT_FOR_DELIVERY: "Out for Delivery",
        S.DELIVERED: "Delivered",
        S.DELIVERY_ATTEMPTED: "Delivery Attempt",
        S.AVAILABLE_FOR_PICKUP: "Available for Pickup",
        S.EXCEPTION: "Alert",
    },
}


def _codes(field: str, listed: str) -> list[str]:
    return listed.split("|") if field == "statusCategory" else listed.split()


def _expected(field: str, code: str) -> S | None:
    return next((s for s, cs in EXPECTED[field].items() if code in _codes(field, cs)), None)


@pytest.mark.parametrize("fixture", scenarios("usps"), ids=lambda p: p.stem)
def test_golden(fixture: Path) -> None:
    check("usps", fixture)


def test_every_table_row_has_an_expectation_and_every_expectation_a_row() -> None:
    listed = {(row.field, row.code) for row in statuses.TABLE.rows}
    expected = {(f, c) for f, by in EXPECTED.items() for cs in by.values() for c in _codes(f, cs)}
    assert listed == expected


def _body_for(row: CodeRow) -> dict[str, object]:
    if row.field == "eventCode":
        event = {"eventCode": row.code, "eventType": row.carrier_text,
                 "eventTimestamp": "2024-01-01T08:00:00"}  # fmt: skip
        return {"trackingNumber": "9400111206206406260787", "trackingEvents": [event]}
    return {"trackingNumber": "9400111206206406260787", "statusCategory": row.code}


@pytest.mark.parametrize(
    "row", statuses.TABLE.rows, ids=lambda r: f"{r.field}-{r.code}-{r.status.value}"
)
def test_each_code_reads_as_usps_names_it(row: CodeRow) -> None:
    [shipment] = parse(_body_for(row), ())  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    assert shipment.status is (_expected(row.field, row.code) or S.UNKNOWN)
    assert ProblemCode.UNMAPPED_CODE not in {p.code for p in shipment.problems}


def test_estimate_is_read_from_the_v3r2_delivery_date_expectation() -> None:
    body = {
        "trackingNumber": "X",
        "deliveryDateExpectation": {"predictedDeliveryDate": "2024-05-02"},
    }
    [shipment] = parse(body, ())  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    assert shipment.estimated_delivery is not None
    assert shipment.estimated_delivery.isoformat() == "2024-05-02"


def test_return_after_out_for_delivery_moves_forward() -> None:
    events = [
        {"eventCode": "09", "eventTimestamp": "2024-01-03T08:00:00"},
        {"eventCode": "OF", "eventTimestamp": "2024-01-02T08:00:00"},
    ]
    body = {"trackingNumber": "X", "statusCategory": "Out for Delivery", "trackingEvents": events}
    [shipment] = parse(body, ())  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    assert shipment.status is S.RETURNED_TO_SENDER


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
