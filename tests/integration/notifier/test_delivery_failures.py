"""SMTP outages, permanent refusals and retries that run out, against a real SMTP server."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from parcelwatch.dev.capture.smtp import CaptureHandler
from tests.integration.notifier.harness import Harness, eventually, notifier_stack
from tests.integration.notifier.scenario import (
    SELLER_TIER,
    customer_address,
    new_order_id,
    order_placed,
    trigger,
)
from tests.support import infrastructure
from tests.support.kafka import read_all

pytestmark = pytest.mark.asyncio(loop_scope="module")

MAX_ATTEMPTS = 8


class RefusingHandler(CaptureHandler):
    """Refuses ``reject.*`` recipients for good (550) and ``busy.*`` ones for now (451)."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("reject."):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address.startswith("busy."):
            return f"451 4.2.1 <{address}>: Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(
    postgres: infrastructure.Database,
    broker: infrastructure.Broker,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Harness]:
    async with notifier_stack(
        postgres,
        broker,
        tmp_path_factory.mktemp("mail"),
        handler=RefusingHandler,
        retry_initial=0.1,
        retry_max=0.5,
        max_attempts=MAX_ATTEMPTS,
    ) as harness:
        yield harness


async def outcomes(stack: Harness, order_id: str, expect: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]]:
        records = await read_all(
            stack.settings.kafka_bootstrap_servers,
            stack.settings.topic("notifications.v1"),
            expect=expect,
            timeout=5,
        )
        events = [json.loads(record.value) for record in records if record.value]
        return [event for event in events if event["subject"] == order_id]

    return await eventually(probe, lambda events: len(events) >= expect)


async def test_mail_waits_out_an_smtp_outage_and_is_delivered_once(stack: Harness) -> None:
    order_id = new_order_id()
    await stack.smtp.stop()
    try:
        await stack.publish(order_placed(order_id), trigger("shipped", order_id))
        attempts = await eventually(
            lambda: stack.service.pool.fetchval(
                "SELECT attempts FROM notifications WHERE order_id = $1", order_id
            ),
            lambda count: (count or 0) >= 3,
        )
        assert attempts >= 3
        retries = stack.metric(
            "parcelwatch_notifier_send_retries_total", channel="email", reason="smtp_connection"
        )
        assert retries >= 2
    finally:
        await stack.smtp.start()
    assert await stack.settled(order_id, 1) == {"customer_shipped": "sent"}
    assert len(stack.mails_to(customer_address(order_id))) == 1
    [sent] = await outcomes(stack, order_id, 1)
    assert sent["type"] == "notification.sent"


async def test_a_permanent_refusal_fails_the_message_and_the_partition_keeps_flowing(
    stack: Harness,
) -> None:
    order_id = new_order_id()
    refused = f"reject.{order_id}@example.com"
    await stack.publish(
        order_placed(order_id, customer_email=refused),
        trigger("ship_by_missed", order_id, **SELLER_TIER),  # the seller's deadline
        trigger("ship_promise_missed", order_id),  # the customer's promise
        trigger("documents_due", order_id),  # same topic, same key: the next in the partition
    )
    assert await stack.settled(order_id, 4) == {
        "customer_ship_by_missed": "failed",
        "seller_ship_by_missed": "sent",
        "customer_documents_due": "failed",
        "seller_documents_due": "sent",
    }
    events = await outcomes(stack, order_id, 4)
    failed = sorted(
        (e["data"]["kind"], e["data"]["permanent"]) for e in events if e["type"].endswith("failed")
    )
    assert failed == [("customer_documents_due", True), ("customer_ship_by_missed", True)]
    for event in events:
        if event["type"] == "notification.failed":
            assert event["data"]["error"].startswith("smtp_recipient_5xx: 550 5.1.1")
            assert refused not in json.dumps(event)
    assert sorted(e["data"]["kind"] for e in events if e["type"].endswith("sent")) == [
        "seller_documents_due",
        "seller_ship_by_missed",
    ]


async def test_a_message_refused_for_now_every_time_is_given_up_after_max_attempts(
    stack: Harness,
) -> None:
    order_id = new_order_id()
    await stack.publish(
        order_placed(order_id, customer_email=f"busy.{order_id}@example.com"),
        trigger("order_unconfirmed", order_id),
    )
    assert await stack.settled(order_id, 1) == {"customer_order_unconfirmed": "failed"}
    row = await stack.service.pool.fetchrow(
        "SELECT attempts, last_error FROM notifications WHERE order_id = $1", order_id
    )
    assert row is not None and row["attempts"] == MAX_ATTEMPTS
    [failed] = await outcomes(stack, order_id, 1)
    assert failed["data"]["permanent"] is False
    assert failed["data"]["error"].startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    assert "busy." not in failed["data"]["error"]
