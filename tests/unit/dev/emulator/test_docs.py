"""docs/emulator.md's example numbers are the ones the code makes and reads."""

from pathlib import Path

from parcelwatch.dev.emulator.scenarios import CARRIERS, Scenario, number_for, scenario_of

DOC = Path(__file__).resolve().parents[4] / "docs" / "emulator.md"


def _example_rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        if len(cells) == 6 and cells[0].isdigit():
            rows[cells[1]] = cells[2:]
    return rows


def test_the_docs_list_one_example_per_carrier_and_scenario() -> None:
    rows = _example_rows()

    assert list(rows) == [s.value for s in Scenario]
    for scenario in Scenario:
        expected = [number_for(carrier, scenario, 1) for carrier in CARRIERS]
        assert rows[scenario.value] == expected
        assert {scenario_of(c, n) for c, n in zip(CARRIERS, expected, strict=True)} == {scenario}


def test_the_docs_name_every_setting() -> None:
    text = DOC.read_text()

    for name in ("HOST", "PORT", "TOKEN_TTL", "RETRY_AFTER", "SLOW_SECONDS"):
        assert f"`EMULATOR_{name}`" in text
    assert "`CLOCK_SCALE`" in text
