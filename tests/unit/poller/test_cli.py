import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from parcelwatch.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "carriers"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["carriers", *args])
    return result.exit_code, result.stdout, result.stderr


def test_parse_prints_the_golden_output() -> None:
    fixture = FIXTURES / "fedex" / "batch_mixed.json"
    code, out, err = _run("parse", "--carrier", "fedex", str(fixture))
    assert (code, err) == (0, "")
    assert json.loads(out) == json.loads(fixture.with_name("batch_mixed.expected.json").read_text())


def test_parse_prints_the_contract_fields() -> None:
    code, out, _ = _run("parse", "--carrier", "ups", str(FIXTURES / "ups" / "delivered.json"))
    [shipment] = json.loads(out)
    assert code == 0
    assert list(shipment) == [
        "carrier", "tracking_number", "status", "estimated_delivery", "delivered_at",
        "signed_by", "events", "problems",
    ]  # fmt: skip
    assert list(shipment["events"][0]) == [
        "status", "carrier_code", "description", "occurred_at", "location",
    ]  # fmt: skip
    assert shipment["estimated_delivery"] == "2024-03-12"
    assert shipment["delivered_at"] == "2024-03-12T19:15:00+00:00"


def test_naive_local_time_prints_without_offset_and_with_a_problem() -> None:
    code, out, _ = _run("parse", "--carrier", "ups", str(FIXTURES / "ups" / "returned.json"))
    [shipment] = json.loads(out)
    assert code == 0
    assert shipment["events"][0]["occurred_at"] == "2024-02-20T09:00:00"
    assert "naive_time" in {p["code"] for p in shipment["problems"]}


@pytest.mark.parametrize(
    ("carrier", "fixture"),
    [("usps", "not_yet_available"), ("dhl", "not_found"), ("ups", "not_found")],
)
def test_not_found_is_unknown_with_a_problem_and_exit_0(carrier: str, fixture: str) -> None:
    path = FIXTURES / carrier / f"{fixture}.json"
    code, out, _ = _run("parse", "--carrier", carrier, "--tracking-number", "N42", str(path))
    [shipment] = json.loads(out)
    assert code == 0
    assert (shipment["tracking_number"], shipment["status"]) == ("N42", "unknown")
    assert [p["code"] for p in shipment["problems"]] == ["not_found"]


@pytest.mark.parametrize(
    ("carrier", "content"),
    [
        ("ups", "{not json"),
        ("usps", ""),
        ("fedex", (FIXTURES / "dhl" / "returned.json").read_text()),
        ("dhl", "[1, 2, 3]"),
        ("ups", (FIXTURES / "ups" / "auth_error.json").read_text()),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    carrier: str, content: str, tmp_path: Path
) -> None:
    path = tmp_path / "body.json"
    path.write_text(content)
    code, out, err = _run("parse", "--carrier", carrier, str(path))
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_unknown_carrier_is_refused() -> None:
    code, _, _ = _run("parse", "--carrier", "royalmail", str(FIXTURES / "ups" / "delivered.json"))
    assert code == 2


def test_detect_lists_every_matching_format() -> None:
    code, out, _ = _run("detect", "4201028200009261290113185417468510")
    assert code == 0
    assert {(m["carrier"], m["format"], m["valid"]) for m in json.loads(out)} == {
        ("fedex", "fedex_34", True),
        ("usps", "usps_impb_c", True),
    }


def test_detect_prints_an_empty_list_for_an_unknown_shape() -> None:
    assert _run("detect", "hello") == (0, "[]\n", "")
