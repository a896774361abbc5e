"""Every rule at once on one clock, each input delivered twice, the service restarted
mid-way (inputs sent while it is down): still exactly the expected sla.v1 events, once."""

import pytest

from tests.integration.sla import scenarios
from tests.integration.sla.harness import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_every_rule_emits_once_when_inputs_repeat_and_the_service_restarts(
    harness: Harness,
) -> None:
    played = [scenario(f"o-{scenario.__name__}") for scenario in scenarios.ALL]
    # a restart after the orders' first deadlines, before the parcels' ones
    await harness.play(*played, twice=True, restart_before=scenarios.DETECTION + scenarios.HOUR)
    assert harness.duplicates() * 2 >= harness.sent
