"""Golden files: ``tests/fixtures/carriers/<slug>/<scenario>.json`` and the expected output
beside it (``<scenario>.expected.json``), written from the carrier's documentation.

There is deliberately no switch that rewrites expectations from the code's output: after a
deliberate change, compare ``parcelwatch carriers parse`` with the expected file (the
assertion shows the diff), check every changed line against the carrier's documentation,
and edit the expected file by hand."""

import difflib
import json
from pathlib import Path
from typing import Any

from services.poller.carriers import render
from services.poller.carriers.registry import registry

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "carriers"

REQUESTED = {
    "ups": "1Z5R89390357567127",
    "fedex": "986578788855",
    "usps": "9400111206206406260787",
    "dhl": "3318810025",
}
"""The number each scenario is parsed as having asked for (used when a body names none)."""


def scenarios(slug: str) -> list[Path]:
    """Every raw fixture of a carrier."""
    return sorted(p for p in (FIXTURES / slug).glob("*.json") if ".expected" not in p.suffixes)


def rendered(slug: str, fixture: Path) -> Any:
    body = json.loads(fixture.read_text())
    return render.result(slug, registry()[slug].parse(body, [REQUESTED[slug]]))


def check(slug: str, fixture: Path) -> None:
    """Assert the fixture renders exactly to its expected file."""
    expected_file = fixture.with_name(f"{fixture.stem}.expected.json")
    actual = rendered(slug, fixture)
    expected = json.loads(expected_file.read_text())
    assert actual == expected, "\n".join(
        difflib.unified_diff(_lines(expected), _lines(actual), "expected", "parsed", lineterm="")
    )


def _lines(value: Any) -> list[str]:
    return json.dumps(value, indent=2, ensure_ascii=False).splitlines()
