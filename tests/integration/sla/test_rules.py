"""Each SLA rule end to end: input events on orders.v1 / tracking.v1 in, exactly the
expected sla.v1 events out, once (scenarios in ``scenarios.py``)."""

from collections.abc import Callable

import pytest

from tests.integration.sla import scenarios
from tests.integration.sla.harness import Harness
from tests.integration.sla.scenarios import Scenario
from tests.support.kafka import read_all

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize("scenario", scenarios.ALL, ids=lambda s: s.__name__)
async def test_rule_emits_exactly_the_expected_sla_events(
    harness: Harness, scenario: Callable[[str], Scenario]
) -> None:
    await harness.play(scenario(f"o-{scenario.__name__}"))


async def test_order_of_a_seller_without_holiday_calendar_is_dead_lettered(
    harness: Harness,
) -> None:
    event = scenarios.confirmed("o-unknown-country", country="ZZ")
    await harness.send((event,))
    await harness.settle()
    dead = await read_all(
        harness.settings.kafka_bootstrap_servers,
        harness.settings.topic("orders.v1.dlq"),
        expect=1,
    )
    assert [r.key for r in dead] == [b"o-unknown-country"]
    assert b"no business calendar" in dict(dead[0].headers)["dlq-error"]
    assert harness.emitted("o-unknown-country") == ()
