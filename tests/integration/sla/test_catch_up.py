"""A backlog is judged as of its own events, not as of the moment it is read: an order
placed and confirmed five minutes later, both read three hours on (the service was down),
gets no "still unconfirmed" verdict; one never confirmed does."""

from datetime import timedelta

import pytest

from shared.contracts.envelope import new_event
from tests.integration.sla.harness import Harness
from tests.integration.sla.scenarios import HOUR, T0, confirmed, placed

pytestmark = pytest.mark.asyncio(loop_scope="module")

MINUTE = timedelta(minutes=1)


async def test_a_backlog_read_late_is_judged_as_of_its_events(harness: Harness) -> None:
    confirmed_later = confirmed("o-confirmed", T0 + 5 * MINUTE)
    backlog = (
        placed("o-confirmed"),
        new_event(confirmed_later.data, "tests", event_id=confirmed_later.id, time=T0 + 5 * MINUTE),
        placed("o-unconfirmed"),
    )
    await harness.stop()
    harness.clock.set(T0 + 3 * HOUR)
    await harness.send(backlog, keep_time=True)
    await harness.start()
    await harness.settle()
    assert harness.emitted("o-confirmed") == ()
    assert harness.emitted("o-unconfirmed") == (("sla.order_unconfirmed", "seller"),)
