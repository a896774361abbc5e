"""How a customer's messages relate to each other (issue 13), on the real broker and
PostgreSQL: held for quiet hours, withdrawn when made moot, a follow-up only after a problem
the customer heard of, nothing "pending" after "declined". The notifier runs on a clock the
test moves; the customer lives in Chicago."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from services.notifier.kinds import MessageKind
from tests.integration.notifier.harness import Harness, eventually, rig, serving
from tests.integration.notifier.scenario import (
    SELLER_TIER,
    customer_address,
    new_order_id,
    order_placed,
    trigger,
)
from tests.support import infrastructure
from tests.support.clock import FakeClock

pytestmark = pytest.mark.asyncio(loop_scope="module")

K = MessageKind
CHICAGO = ZoneInfo("America/Chicago")
NIGHT = datetime(2025, 3, 10, 23, 0, tzinfo=CHICAGO)  # after the samples, in quiet hours
NOON = datetime(2025, 3, 11, 12, 0, tzinfo=CHICAGO)
CLOCK = FakeClock(NIGHT)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(
    postgres: infrastructure.Database,
    broker: infrastructure.Broker,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Harness]:
    async with (
        rig(postgres, broker, tmp_path_factory.mktemp("mail"), send_poll_interval=0.05) as parts,
        serving(parts, CLOCK) as harness,
    ):
        yield harness


async def states(stack: Harness, order_id: str, count: int) -> dict[str, str]:
    """The order's ``{kind: state}`` once it has ``count`` rows and none is in flight."""
    return await eventually(
        lambda: stack.rows(order_id),
        lambda rows: len(rows) >= count and "sending" not in rows.values(),
    )


async def test_a_stalled_email_in_quiet_hours_waits_and_is_withdrawn_when_the_parcel_moves(
    stack: Harness,
) -> None:
    CLOCK.set(NIGHT.astimezone(UTC))
    order_id = new_order_id()
    await stack.publish(
        order_placed(order_id), trigger("tracking_stalled", order_id, **SELLER_TIER)
    )
    rows = await states(stack, order_id, 2)
    assert rows == {"customer_tracking_stalled": "pending", "seller_tracking_stalled": "sent"}
    held = await stack.service.pool.fetchval(
        "SELECT next_attempt_at FROM notifications WHERE order_id = $1 AND kind = $2",
        order_id,
        K.CUSTOMER_TRACKING_STALLED.value,
    )
    assert held == datetime(2025, 3, 11, 8, 0, tzinfo=CHICAGO)
    CLOCK.set((NIGHT + timedelta(hours=3)).astimezone(UTC))  # moving again at 02:00
    await stack.publish(trigger("tracking_resumed", order_id, resolved_at=CLOCK.now()))
    await eventually(
        lambda: stack.rows(order_id), lambda rows: rows[K.CUSTOMER_TRACKING_STALLED] == "skipped"
    )
    CLOCK.set(NOON.astimezone(UTC))  # the morning came: nothing goes out for the customer
    await stack.settled(order_id, 2)
    assert await stack.rows(order_id) == {
        "customer_tracking_stalled": "skipped",
        "seller_tracking_stalled": "sent",
    }
    assert stack.mails_to(customer_address(order_id)) == []


async def test_a_problem_the_customer_heard_of_gets_its_moving_again_follow_up(
    stack: Harness,
) -> None:
    CLOCK.set(NOON.astimezone(UTC))
    order_id = new_order_id()
    await stack.publish(
        order_placed(order_id), trigger("tracking_stalled", order_id, **SELLER_TIER)
    )
    await stack.settled(order_id, 2)
    await stack.publish(trigger("tracking_resumed", order_id, resolved_at=NOON))
    assert await stack.settled(order_id, 3) == {
        "customer_tracking_stalled": "sent",
        "seller_tracking_stalled": "sent",
        "customer_tracking_resumed": "sent",
    }
    subjects = [m.subject for m in stack.mails_to(customer_address(order_id))]
    assert subjects == ["Your package has not moved for a few days", "Your package is moving again"]


async def test_no_pending_payment_email_after_a_declined_payment(stack: Harness) -> None:
    CLOCK.set(NOON.astimezone(UTC))
    order_id = new_order_id()
    await stack.publish(order_placed(order_id), trigger("payment_declined", order_id))
    await stack.settled(order_id, 1)
    await stack.publish(trigger("order_unconfirmed", order_id))  # came late from the sla service
    await eventually(
        lambda: stack.service.pool.fetchval(
            "SELECT count(*) FROM triggers WHERE event_id = $1", f"{order_id}.order_unconfirmed"
        ),
        lambda count: count == 1,
    )
    assert await stack.settled(order_id, 1) == {"customer_payment_declined": "sent"}
    [mail] = stack.mails_to(customer_address(order_id))
    assert mail.subject == f"Your payment for order {order_id} was declined"
