"""The README's configuration table lists every setting the code reads."""

from pathlib import Path

from parcelwatch.dev.simulator.runner import SimulatorSettings
from parcelwatch.dev.stack.stack import StackSettings
from parcelwatch.ops.settings import OpsSettings
from services.notifier.settings import NotifierSettings
from services.poller.settings import PollerSettings
from services.sla.settings import SlaSettings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    table = {
        line.split("|")[1].strip().strip("`")
        for line in README.read_text().splitlines()
        if line.startswith("| `")
    }
    names = {
        str(field.validation_alias or name).upper()
        for settings in (
            PollerSettings,
            SlaSettings,
            NotifierSettings,
            StackSettings,
            SimulatorSettings,
            OpsSettings,
        )
        for name, field in settings.model_fields.items()
    }
    assert sorted(names - table) == []
