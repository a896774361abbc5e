"""The README's configuration table lists every setting the code reads; each carrier's
docs page lists its whole code table with the source of every row."""

from pathlib import Path

import pytest

from parcelwatch.dev.simulator.runner import SimulatorSettings
from parcelwatch.dev.stack.stack import StackSettings
from parcelwatch.ops.settings import OpsSettings
from services.notifier.settings import NotifierSettings
from services.poller.carriers.codes import COLUMNS, load
from services.poller.carriers.registry import registry
from services.poller.cli import code_table
from services.poller.settings import PollerSettings
from services.sla.settings import SlaSettings
from tests.support.settings import env_names

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    table = {
        line.split("|")[1].strip().strip("`")
        for line in README.read_text().splitlines()
        if line.startswith("| `")
    }
    names = set().union(
        *(
            env_names(settings)
            for settings in (
                PollerSettings,
                SlaSettings,
                NotifierSettings,
                StackSettings,
                SimulatorSettings,
                OpsSettings,
            )
        )
    )
    assert sorted(names - table) == []


CARRIER_DOCS = README.parent / "docs" / "carriers"


@pytest.mark.parametrize("carrier", sorted(registry()))
def test_carrier_page_lists_every_code_of_the_table_with_a_defined_source(carrier: str) -> None:
    page = (CARRIER_DOCS / f"{carrier}.md").read_text()
    table = code_table(carrier)
    assert page.endswith("## Table\n\n" + table.markdown())
    sources = {line.split("|")[1].strip() for line in page.split("## Sources")[1].splitlines()
               if line.startswith("| ") and not line.startswith("| key")}  # fmt: skip
    assert {row.source for row in table.rows} <= sources


def test_a_code_table_with_an_unknown_status_or_a_repeated_code_is_refused(tmp_path: Path) -> None:
    header = ",".join(COLUMNS)
    bad_status = tmp_path / "status.csv"
    bad_status.write_text(f"{header}\ntype,X,lost,Exception,UPS-TYPES\n")
    with pytest.raises(ValueError, match="lost"):
        load(bad_status)
    repeated = tmp_path / "repeated.csv"
    repeated.write_text(f"{header}\ncode,03,in_transit,a,S\ncode,3,exception,b,S\n")
    with pytest.raises(ValueError, match="twice"):
        load(repeated)
