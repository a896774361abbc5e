from pathlib import Path

import pytest

from services.poller.carriers.base import NotFound, ParsedShipment, ProblemCode
from services.poller.carriers.codes import CodeRow
from services.poller.carriers.ups import statuses
from services.poller.carriers.ups.mapper import parse
from shared.contracts.statuses import TrackingStatus as S

from .golden import check, scenarios

# Written from UPS's own descriptions (docs/carriers/ups.md), not from codes.csv: every
# row of the table must appear here with the same status.
EXPECTED: dict[str, dict[S, str]] = {
    "statusCode": {
        S.LABEL_CREATED: "3 44 45 65 77 79 80 131 135 157 166",
        S.IN_TRANSIT: "5 10 12 14 16 25 32 38 39 46 47 48 51 52 53 57 70 71 73 74 75 84 86 87 "
        "90 92 134 137 138 158 159 160 164 165 167 168 169",
        S.OUT_FOR_DELIVERY: "6 21 37 72 78 89 91 146 162",
        S.AVAILABLE_FOR_PICKUP: "17 40 144 161",
        S.DELIVERY_ATTEMPTED: "22 23 24 60 61 62 66 145",
        S.DELIVERED: "11 26 143",
        S.EXCEPTION: "13 29 30 49 50 58 59 64 68 69 76 83 85 123 124 125 126 132 139 141 147 149",
        S.RETURNED_TO_SENDER: "33 34 35 36 67 81 118 119",
        S.CANCELLED: "7",
        S.UNKNOWN: "0 18 19 20 27 28 41 42 43 54 55 56 63 82 88 93 94 95 96 97 98 99 100 101 "
        "102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 120 121 122 127 128 "
        "129 130 133 136 140 142 148 153 154 155 156 163",
    },
    "type": {
        S.DELIVERED: "D",
        S.IN_TRANSIT: "I DO DD W",
        S.LABEL_CREATED: "M",
        S.CANCELLED: "MV",
        S.EXCEPTION: "X",
        S.UNKNOWN: "NA U",
    },
    "exceptionCode": {
        S.IN_TRANSIT: "3 8 31 1B 1L 1V",
        S.DELIVERY_ATTEMPTED: "48 49 51 52 55 84 89 5R 3J",
        S.RETURNED_TO_SENDER: "24 27 65 90",
        S.AVAILABLE_FOR_PICKUP: "39 54",
    },
}


def _expected(field: str, code: str) -> S | None:
    return next((s for s, codes in EXPECTED[field].items() if code in codes.split()), None)


@pytest.mark.parametrize("fixture", scenarios("ups"), ids=lambda p: p.stem)
def test_golden(fixture: Path) -> None:
    check("ups", fixture)


def test_every_table_row_has_an_expectation_and_every_expectation_a_row() -> None:
    listed = {(row.field, row.code) for row in statuses.TABLE.rows}
    expected = {(f, c) for f, by in EXPECTED.items() for cs in by.values() for c in cs.split()}
    assert listed == expected


def _activity_for(row: CodeRow) -> dict[str, str]:
    if row.field == "statusCode":
        return {"statusCode": row.code.zfill(3), "description": row.carrier_text}
    if row.field == "type":
        return {"type": row.code, "description": row.carrier_text}
    # An exception code beside UPS's generic "Exception" status code.
    return {"type": "X", "code": row.code, "statusCode": "013", "description": row.carrier_text}


@pytest.mark.parametrize(
    "row", statuses.TABLE.rows, ids=lambda r: f"{r.field}-{r.code}-{r.status.value}"
)
def test_each_code_reads_as_ups_describes_it(row: CodeRow) -> None:
    shipment = _only(_body(_activity(**_activity_for(row))))
    expected = _expected(row.field, row.code)
    if row.field == "type" and row.code == "D":
        expected = S.UNKNOWN  # D alone decides nothing (Track Alert uses it for OFD too)
    assert shipment.events[0].status is expected
    unmapped = ProblemCode.UNMAPPED_CODE in {p.code for p in shipment.problems}
    assert unmapped is (row.code == "D")


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
    assert shipment.status is S.OUT_FOR_DELIVERY


def test_receiver_not_available_exception_is_an_attempt_not_a_problem() -> None:
    attempt = _activity(type="X", code="48", statusCode="013", description="The receiver was…")
    earlier = {**_activity(type="I", code="OT", statusCode="021"), "time": "080000"}
    assert _only(_body(attempt, earlier)).status is S.DELIVERY_ATTEMPTED


def test_unknown_code_is_never_guessed() -> None:
    shipment = _only(_body(_activity(type="ZZ", code="??", statusCode="777")))
    assert shipment.status is S.UNKNOWN
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


def test_gmt_time_with_colons_as_real_answers_write_it() -> None:
    activity = {
        **_activity(type="I", statusCode="005"),
        "gmtDate": "20240202",
        "gmtTime": "05:15:00",
        "gmtOffset": "bad",
    }
    event = _only(_body(activity)).events[0]
    assert event.occurred_at is not None
    assert event.occurred_at.isoformat() == "2024-02-02T05:15:00+00:00"


def test_current_status_code_of_three_digits_is_its_status_code() -> None:
    shipment = _only(_body(currentStatus={"description": "Delivered", "code": "011"}))
    assert shipment.status is S.DELIVERED
    assert shipment.problems == ()


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
