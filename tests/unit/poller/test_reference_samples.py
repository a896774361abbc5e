"""Conformance: the real and spec responses in ``../shared/carriers/samples`` parse as
REFERENCE.md says they should. Only facts the reference justifies are asserted."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.poller.carriers.base import (
    AuthFailed,
    CarrierDown,
    InvalidNumber,
    Malformed,
    NotFound,
    ParsedShipment,
    ParseResult,
    ProblemCode,
    scan_time,
)
from services.poller.carriers.registry import registry
from shared.contracts.statuses import TrackingStatus as S

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "carriers" / "samples"
pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"reference samples not found at {SAMPLES.resolve()}"
)

NOT_TRACK_RESPONSES = {
    "ups_token_response_test_fixture.json": "OAuth token response",
    "usps_token_response_real_redacted.json": "OAuth token response",
    "usps_oauth_error_invalid_client.json": "OAuth token endpoint error",
    "ups_rate_limit_10429_other_api.json": "error of the UPS Paperless Document API",
    "dhl_gateway_401_other_api.json": "error of the DHL Parcel DE shipping API",
    "dhl_push_subscription_request_example.json": "a push subscription request",
    "ups_trackalert_webhook_delivered.json": "Track Alert webhook payload, not Track API",
    "ups_trackalert_webhook_out_for_delivery.json": "Track Alert webhook payload, not Track API",
    "usps_summary_readme_example.json": "expand=SUMMARY; the client always asks for DETAIL",
}


def _parse(name: str, requested: tuple[str, ...] = ()) -> ParseResult:
    carrier = name.split("_", 1)[0]
    return registry()[carrier].parse(json.loads((SAMPLES / name).read_text()), requested)


def _one(name: str) -> ParsedShipment:
    [shipment] = _parse(name)  # type: ignore[misc]
    assert isinstance(shipment, ParsedShipment)
    return shipment


def _track_samples() -> list[str]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p.name for p in SAMPLES.glob("*.json") if p.name not in NOT_TRACK_RESPONSES)


def test_ups_delivered_without_current_status_falls_back_to_newest_activity() -> None:
    shipment = _one("ups_delivered.json")
    assert shipment.tracking_number == "1Z1442YY7229014688"
    assert shipment.status is S.DELIVERED
    assert [e.status for e in shipment.events] == [S.DELIVERED, S.LABEL_CREATED]
    assert shipment.events[0].description == "DELIVERED"  # trailing space stripped
    # no GMT fields: local wall time only, never stamped as UTC
    assert shipment.events[0].occurred_at is None
    assert shipment.events[0].occurred_at_local == "2022-01-26T16:30:00"
    assert shipment.delivered_at is None
    assert shipment.delivered_at_local == "2022-01-26T16:30:00"
    assert ProblemCode.NAIVE_TIME in {p.code for p in shipment.problems}


def test_ups_spec_example_uses_status_code_first_and_keeps_local_time() -> None:
    shipment = _one("ups_exception_spec_example.json")
    assert shipment.status is S.LABEL_CREATED  # statusCode 003 wins over type X
    assert shipment.events[0].occurred_at_local == "2021-02-10T07:13:56"
    assert shipment.estimated_delivery is None  # deliveryDate type "string"


def test_ups_error_samples() -> None:
    assert _parse("ups_not_found_warning_TW0001.json", ("1Z1",)) == [
        NotFound("1Z1", "TW0001 Tracking Information Not Found")
    ]
    assert _parse("ups_invalid_number_TV1002.json", ("1Z1",)) == [
        InvalidNumber("1Z1", "TV1002 Invalid inquiry number")
    ]
    assert isinstance(_parse("ups_auth_error_250003.json"), AuthFailed)


def test_fedex_delivered_ground_keeps_offsets_and_flags_the_naive_scan() -> None:
    shipment = _one("fedex_delivered_ground.json")
    assert shipment.tracking_number == "738488882438"
    assert shipment.status is S.DELIVERED
    assert shipment.delivered_at == datetime(2024, 8, 20, 16, 41, 57, tzinfo=UTC)
    assert shipment.signed_by == "CREILLY"
    assert shipment.estimated_delivery is not None
    assert shipment.estimated_delivery.isoformat() == "2024-08-21"
    naive = [e for e in shipment.events if e.occurred_at is None]
    assert [(e.carrier_code, e.occurred_at_local) for e in naive] == [("PU", "2024-08-15T00:00:00")]
    assert shipment.events[1].status is S.OUT_FOR_DELIVERY  # OD although derived IT


def test_fedex_reused_number_keeps_the_newest_result() -> None:
    shipment = _one("fedex_intransit_delayed_and_delivered_duplicate.json")
    assert shipment.status is S.DELIVERED
    assert shipment.delivered_at == datetime(2024, 4, 26, 16, 26, tzinfo=UTC)
    assert shipment.signed_by == "D.HERRERA"
    codes = {e.carrier_code: e.status for e in shipment.events}
    assert codes["DE:08"] is S.DELIVERY_ATTEMPTED
    assert codes["DE:A47"] is S.DELIVERY_ATTEMPTED  # redirected to a FedEx location to collect
    assert ProblemCode.DUPLICATE_RESULTS in {p.code for p in shipment.problems}


def test_fedex_spec_example_with_a_not_found_number() -> None:
    found, missing = _parse("fedex_spec_example_plus_notfound.json")  # type: ignore[misc]
    assert isinstance(found, ParsedShipment)
    assert (found.tracking_number, found.status) == ("123456789012", S.IN_TRANSIT)
    assert isinstance(missing, NotFound)
    assert missing.tracking_number == "39936862321"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("fedex_error_401_spec_example.json", AuthFailed),
        ("fedex_error_403_spec_example.json", AuthFailed),
        ("fedex_error_500_spec_example.json", CarrierDown),
        ("fedex_error_503_spec_example.json", CarrierDown),
        ("usps_401_token_lacks_tracking_scope.json", AuthFailed),
        ("usps_error_schema_example.json", Malformed),  # placeholder codes only
    ],
)
def test_call_level_error_samples(name: str, kind: type) -> None:
    assert isinstance(_parse(name), kind)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("fedex_error_400_tracking_number_empty.json", InvalidNumber),
        ("fedex_error_404_spec_example.json", NotFound),
        ("dhl_not_found_404.json", NotFound),
    ],
)
def test_number_level_error_samples(name: str, kind: type[NotFound | InvalidNumber]) -> None:
    [outcome] = _parse(name, ("N1",))  # type: ignore[misc]
    assert isinstance(outcome, kind)
    assert outcome.tracking_number == "N1"


def test_usps_delivered_uses_gmt_timestamps() -> None:
    shipment = _one("usps_delivered.json")
    assert shipment.status is S.DELIVERED
    assert shipment.delivered_at == datetime(2024, 11, 22, 18, 58, 40, tzinfo=UTC)
    assert all(e.occurred_at is not None for e in shipment.events)
    assert [e.carrier_code for e in shipment.events][:2] == ["01", "OF"]
    assert shipment.events[-1].status is S.LABEL_CREATED  # GX


def test_usps_readme_example_treats_the_misleading_z_as_local_time() -> None:
    shipment = _one("usps_accepted_detail_readme_example.json")
    assert shipment.status is S.IN_TRANSIT
    assert shipment.events[0].occurred_at is None
    assert shipment.events[0].occurred_at_local == "2023-08-02T07:31:00"


def test_dhl_ecommerce_refines_coarse_codes_by_text() -> None:
    shipment = _one("dhl_delivered_ecommerce_unattributed.json")
    assert shipment.status is S.DELIVERED
    by_text = {e.description: e.status for e in shipment.events}
    assert by_text["OUT FOR DELIVERY"] is S.OUT_FOR_DELIVERY  # statusCode transit
    assert by_text["LABEL CREATED"] is S.LABEL_CREATED  # statusCode unknown
    assert all(e.occurred_at is None and e.occurred_at_local for e in shipment.events)


def test_dhl_spec_example_accepts_an_integer_id_and_object_references() -> None:
    shipment = _one("dhl_spec_example.json")
    assert shipment.tracking_number == "7777777770"
    assert shipment.status is S.LABEL_CREATED  # statusCode pre-transit, placeholder text
    assert shipment.estimated_delivery is not None


@pytest.mark.parametrize("name", _track_samples())
def test_every_track_sample_yields_newest_first_honest_times(name: str) -> None:
    result = _parse(name)
    for outcome in result if isinstance(result, list) else []:
        if isinstance(outcome, ParsedShipment):
            times = [scan_time(e) for e in outcome.events]
            dated = [t for t in times if t is not None]
            assert dated == sorted(dated, reverse=True)
            for event in outcome.events:
                assert event.occurred_at is None or event.occurred_at.tzinfo is UTC


@pytest.mark.parametrize("name", _track_samples())
def test_every_track_sample_is_malformed_for_the_other_carriers(name: str) -> None:
    own = name.split("_", 1)[0]
    body = json.loads((SAMPLES / name).read_text())
    for slug, plugin in registry().items():
        if slug != own:
            assert isinstance(plugin.parse(body, ()), Malformed), slug


def test_skip_list_names_only_existing_samples() -> None:
    assert set(NOT_TRACK_RESPONSES) <= {p.name for p in SAMPLES.glob("*.json")}
