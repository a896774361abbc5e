from pathlib import Path

import pytest

from services.poller.carriers.base import ParsedShipment, ProblemCode
from services.poller.carriers.codes import CodeRow
from services.poller.carriers.dhl import statuses
from services.poller.carriers.dhl.mapper import parse
from shared.contracts.statuses import TrackingStatus as S

from .golden import check, scenarios

# Written from DHL's wording (docs/carriers/dhl.md), not from codes.csv: every row of the
# table must appear here with the same status ("|" separates the entries).
EXPECTED: dict[str, dict[S, str]] = {
    "statusCode": {
        S.LABEL_CREATED: "pre-transit",
        S.IN_TRANSIT: "transit",
        S.DELIVERED: "delivered",
        S.EXCEPTION: "failure",
        S.UNKNOWN: "unknown",
    },
    "status": {
        S.LABEL_CREATED: "PRENOTIFICATION_RECEIVED|DATA_RECEIVED_WITH_PREFIX_LABEL",
        S.IN_TRANSIT: "PARCEL_ARRIVED_AT_LOCAL_DEPOT|PARCEL_SORTED_AT_HUB|"
        "PARCEL_PICKED_UP_AT_PARCELSHOP|PARCEL_RETURNED_FROM_ROUTE|NEW_DELIVERY_ATTEMPT",
        S.OUT_FOR_DELIVERY: "OUT_FOR_DELIVERY|LOAD_VEHICLE|PARCEL_WILL_BE_DELIVERED_SOON",
        S.DELIVERY_ATTEMPTED: "NOT_HOME|NOT_HOME_SYSTEM_INTERVENTION_DELIVERY_AT_PARCELSHOP",
        S.AVAILABLE_FOR_PICKUP: "NOTIFICATION_FOR_PARCELSHOP_COLLECTION_HAS_BEEN_SENT|"
        "NOTIFICATION_FOR_PARCELSTATION_COLLECTION_HAS_BEEN_SENT|DELIVERED_AT_PARCELSHOP|"
        "AWAITING_RECEIVER_COLLECTION|"
        "CLOSED_AWAITING_COLLECTION|DELIVERED_AT_ACCESSPOINT|DELIVERED_AT_PARCELSTATION|"
        "DELIVERY_CODE_MISSING_PICK_UP|ON_HOLD_FOR_COLLECTION|PARCEL_FOUND_AT_PARCELSHOP|"
        "PARCEL_HELD_FOR_COLLECTION_AT_LOCAL_DEPOT|REMINDER_FOR_COLLECTION_SENT_EMAIL|"
        "REMINDER_FOR_COLLECTION_SENT_LETTER|REMINDER_FOR_COLLECTION_SENT_SMS",
        S.UNKNOWN: "INTERVENTION_RECEIVER_REQUESTS_DELIVERY_AT_ANOTHER_TIME/DATE|"
        "INTERVENTION_RECEIVER_REQUESTS_DELIVERY_AT_ACCESSPOINT|"
        "INTERVENTION_RECEIVER_REQUESTS_DELIVERY_AT_NEIGHBOURS|"
        "INTERVENTION_RECEIVER_REQUESTS_DELIVERY_AT_PARCELSHOP|"
        "INTERVENTION_RECEIVER_REQUESTS_DELIVERY_AT_PARCELSTATION|"
        "INTERVENTION_RECEIVER_REQUESTS_DELIVERY_AT_PREFERRED_NEIGHBOURS|"
        "INTERVENTION_DELIVERY_ADDRESS_CHANGED_INTO_PARCELSHOP|"
        "INTERVENTION_PROCESSED_FOR_COLLECTION_AT_PARCELSHOP",
        S.DELIVERED: "COLLECTED_AT_PARCELSHOP|COLLECTED_AT_ACCESSPOINT|COLLECTED_AT_PARCELSTATION|"
        "SHIPMENT_COLLECTED|DELIVERED_AT_NEIGHBOURS|DELIVERED_AT_PREFERED_NEIGHBOURS|"
        "DELIVERED_AT_SAFEPLACE|DELIVERED_IN_MAILBOX|DELIVERED_DAMAGED|DELIVERED_NOT_IN_TIME|"
        "DELIVERED_NO_CODE_VALIDATION",
        S.RETURNED_TO_SENDER: "RETURNED_TO_SHIPPER|ON_ROUTE_TO_SHIPPER|DELIVERED_AT_SHIPPER|"
        "ADDRESS_UNKNOWN|CUSTOMS_DATA_INCORRECT_RETURN_TO_SHIPPER|DAMAGE_RETURN|"
        "DELIVERY_CODE_MISSING_RETURN|DELIVERY_DATA_INCORRECT_RETURN|"
        "EXPECTED_RETURN_DELIVERED_AT_SHIPPER_CALCULATED|"
        "INTERVENTION_RECEIVER_REQUEST_DELIVERY_CANCELLED|"
        "INTERVENTION_SHIPPER_REQUEST_DELIVERY_CANCELLED|INVALID_SHIPMENT_SPECIFICATION_RETURN|"
        "MISROUTED_RETURN_TO_SHIPPER|NOT_HOME_RETURN_TO_SHIPPER|NO_MONEY_RETURN|"
        "PARCELSTATION_DELIVERY_UNSUCCESFULL_RETURN|PARCEL_ALREADY_RETURNED|"
        "PARCEL_RELABELED_FOR_RETURN_TO_SHIPPER|PARCEL_SCANNED_AT_RETURN_HUB|"
        "PARCEL_SCANNED_FOR_RETURN_TO_HUB|PARCEL_TOO_HEAVY_RETURN|PARCEL_TOO_LARGE_RETURN|"
        "POSTPROCESS_DELIVERED_AT_SHIPPER|POSTPROCESS_RETURN_CONSOLIDATION|"
        "POSTPROCESS_RETURN_CONSOLIDATION_DEPART|POSTPROCESS_RETURN_CONSOLIDATION_LOAD|"
        "RECEIVER_RETURN|RECEIVER_UNKNOWN_RETURN|REFUSED_AT_PARCELSHOP|REFUSED_BY_RECEIVER|"
        "REFUSED_NOT_COLLECTED|REFUSED_RETURN|REFUSED_RETURN_TO_DD|RETURNED_NOT_COLLECTED|"
        "RETURN_DELIVERED_AT_SHIPPER_CALCULATED|SPONTANEOUS_RETURN|"
        "STORAGE_PERIOD_ENDED_AT_ACCESSPOINT|STORAGE_PERIOD_ENDED_AT_PARCELSHOP|"
        "STORAGE_PERIOD_ENDED_AT_PARCELSTATION|UNJUSTIFIED_SPONTANEOUS_RETURN",
    },
    "text": {
        S.RETURNED_TO_SENDER: "RETURNED TO SHIPPER|RETURNED TO SENDER|RETURN TO SENDER|"
        "RETURN TO SHIPPER|RETURNING TO SENDER|RETURNING TO SHIPPER|RETURNED TO THE SENDER|"
        "RETURNED TO THE SHIPPER|BEING RETURNED",
        S.AVAILABLE_FOR_PICKUP: "READY FOR PICKUP|READY FOR PICK-UP|AVAILABLE FOR PICKUP|"
        "AWAITING COLLECTION|PARCEL LOCKER|OCZEKUJE NA ODBIÓR",
        S.DELIVERY_ATTEMPTED: "NOT HOME|RECIPIENT WAS NOT|COULD NOT BE DELIVERED|NOT DELIVERED|"
        "ATTEMPT|PRÓBA DORĘCZENIA",
        S.OUT_FOR_DELIVERY: "OUT FOR DELIVERY|WITH DELIVERY COURIER|"
        "LOADED ONTO THE DELIVERY VEHICLE",
        S.LABEL_CREATED: "LABEL CREATED|SHIPMENT INFORMATION RECEIVED",
    },
}


def _expected(field: str, code: str) -> S | None:
    return next((s for s, cs in EXPECTED[field].items() if code in cs.split("|")), None)


@pytest.mark.parametrize("fixture", scenarios("dhl"), ids=lambda p: p.stem)
def test_golden(fixture: Path) -> None:
    check("dhl", fixture)


def test_every_table_row_has_an_expectation_and_every_expectation_a_row() -> None:
    listed = {(row.field, row.code) for row in statuses.TABLE.rows}
    expected = {(f, c) for f, by in EXPECTED.items() for cs in by.values() for c in cs.split("|")}
    assert listed == expected


def _event_for(row: CodeRow) -> dict[str, str]:
    if row.field == "statusCode":
        return {"statusCode": row.code, "status": "Shipment update"}
    if row.field == "status":
        return {"statusCode": "transit", "status": row.code}
    return {"statusCode": "transit", "status": f"The shipment: {row.code.lower()}"}


@pytest.mark.parametrize(
    "row", statuses.TABLE.rows, ids=lambda r: f"{r.field}-{r.code}-{r.status.value}"
)
def test_each_code_reads_as_dhl_words_it(row: CodeRow) -> None:
    shipment = _only([{"timestamp": "2024-06-01T10:00:00+02:00", **_event_for(row)}])
    assert shipment.events[0].status is _expected(row.field, row.code)
    assert ProblemCode.UNMAPPED_CODE not in {p.code for p in shipment.problems}


def _only(events: list[dict[str, str]], **shipment: object) -> ParsedShipment:
    body = {"shipments": [{"id": "3318810025", "events": events, **shipment}]}
    [parsed] = parse(body, ())  # type: ignore[misc]
    assert isinstance(parsed, ParsedShipment)
    return parsed


@pytest.mark.parametrize(
    ("code", "text", "status"),
    [
        ("transit", "OUT FOR DELIVERY", S.OUT_FOR_DELIVERY),
        ("unknown", "LABEL CREATED", S.LABEL_CREATED),
        ("pre-transit", "DROPPED AT SERVICE POINT", S.LABEL_CREATED),
        ("transit", "IN PARCEL LOCKER", S.AVAILABLE_FOR_PICKUP),
        ("delivered", "DELIVERED - PARCEL LOCKER", S.DELIVERED),
        ("failure", "DELIVERY ATTEMPTED", S.DELIVERY_ATTEMPTED),
        ("failure", "DAMAGED", S.EXCEPTION),
        ("delivered", "DELIVERED_AT_SHIPPER", S.RETURNED_TO_SENDER),
    ],
)
def test_coarse_code_is_refined_by_text(code: str, text: str, status: S) -> None:
    event = {"timestamp": "2024-06-01T10:00:00", "statusCode": code, "status": text}
    assert _only([event]).events[0].status is status


def test_return_events_win_over_a_stale_transit_summary() -> None:
    events = [
        {
            "timestamp": "2024-06-03T10:00:00",
            "statusCode": "transit",
            "status": "DELIVERED_AT_SHIPPER",
        },
        {
            "timestamp": "2024-06-02T10:00:00",
            "statusCode": "transit",
            "status": "ON_ROUTE_TO_SHIPPER",
        },
        {"timestamp": "2024-06-01T10:00:00", "statusCode": "transit", "status": "OUT_FOR_DELIVERY"},
    ]
    summary = {"statusCode": "transit", "status": "transit"}
    shipment = _only(events, status=summary)
    assert shipment.status is S.RETURNED_TO_SENDER
    assert shipment.delivered_at is None and shipment.delivered_at_local is None


def test_not_home_after_out_for_delivery_is_an_attempt() -> None:
    events = [
        {"timestamp": "2024-06-01T15:00:00", "statusCode": "transit", "status": "NOT_HOME"},
        {"timestamp": "2024-06-01T08:00:00", "statusCode": "transit", "status": "OUT_FOR_DELIVERY"},
    ]
    assert _only(events).status is S.DELIVERY_ATTEMPTED


@pytest.mark.parametrize(
    ("identifier", "status"),
    [
        ("NOT_HOME_CARD_LEFT", S.DELIVERY_ATTEMPTED),
        ("PARCEL_DAMAGED_RETURN_TO_SHIPPER", S.RETURNED_TO_SENDER),
        ("PARCEL_SCANNED_INTO_HAND-TERMINAL", S.EXCEPTION),
    ],
)
def test_an_identifier_the_table_does_not_list_is_read_by_its_words(
    identifier: str, status: S
) -> None:
    event = {"timestamp": "2024-06-01T10:00:00", "statusCode": "failure", "status": identifier}
    assert _only([event]).events[0].status is status


def test_estimate_falls_back_to_the_delivery_time_frame() -> None:
    frame = {"estimatedFrom": "2024-06-04T09:00:00", "estimatedThrough": "2024-06-04T13:00:00"}
    shipment = _only([], estimatedDeliveryTimeFrame=frame)
    assert shipment.estimated_delivery is not None
    assert shipment.estimated_delivery.isoformat() == "2024-06-04"
