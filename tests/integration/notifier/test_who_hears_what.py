"""Every row of issue 5's "who hears what" table, through Kafka, PostgreSQL and SMTP.

One notifier for the module; each test uses orders of its own. A test fails when a
message is missing, sent twice, sent to the wrong person, or carries a wrong link.
"""

import hashlib
import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio

from services.notifier.chat import TITLES
from services.notifier.kinds import MessageKind
from services.notifier.routing import policy
from tests.integration.notifier.harness import Harness, eventually, notifier_stack
from tests.integration.notifier.png import non_white_share
from tests.integration.notifier.scenario import (
    SELLER_TIER,
    customer_address,
    new_order_id,
    order_placed,
    seller_address,
    trigger,
)
from tests.support import infrastructure
from tests.support.chromium import run as chromium_run
from tests.support.kafka import read_all

pytestmark = pytest.mark.asyncio(loop_scope="module")

K = MessageKind

# The issue's link templates, written out again here: the test's own statement of them.
ISSUE_LINKS = {
    "ups": "https://www.ups.com/track?loc=en_US&tracknum={n}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={n}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    "dhl": "https://www.dhl.com/us-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={n}",
    # issue 13: DHL Express numbers (the samples' 10-digit waybill) have their own page
    "dhl_express": "https://www.dhl.com/us-en/home/tracking/tracking-express.html?submit=1&tracking-id={n}",
}
CARRIER_URL = re.compile(r"https://(?:www\.ups|www\.fedex|tools\.usps|www\.dhl)\.com/[^\s\"'<>|]+")

LINKED = {
    K.CUSTOMER_SHIPPED,
    K.CUSTOMER_OUT_FOR_DELIVERY,
    K.CUSTOMER_AVAILABLE_FOR_PICKUP,
    K.CUSTOMER_DELIVERY_ATTEMPTED,
    K.CUSTOMER_DELIVERY_LATE,
    K.CUSTOMER_TRACKING_STALLED,
    K.CUSTOMER_DELIVERED_DISPUTED,
    K.CUSTOMER_CARRIER_EXCEPTION,
    K.SELLER_TRACKING_STALLED,
}
"""E-mails that show the tracking link (the others have none to show)."""


@dataclass(frozen=True)
class Row:
    situation: str
    expected: frozenset[MessageKind]
    changes: tuple[tuple[str, Any], ...] = ()


ROWS = {
    "shipped": Row("shipped", frozenset({K.CUSTOMER_SHIPPED})),
    "out_for_delivery": Row("out_for_delivery", frozenset({K.CUSTOMER_OUT_FOR_DELIVERY})),
    "available_for_pickup": Row(
        "available_for_pickup", frozenset({K.CUSTOMER_AVAILABLE_FOR_PICKUP})
    ),
    "delivery_attempted": Row("delivery_attempted", frozenset({K.CUSTOMER_DELIVERY_ATTEMPTED})),
    "ship_by_missed_seller_tier": Row(
        "ship_by_missed", frozenset({K.SELLER_SHIP_BY_MISSED}), tuple(SELLER_TIER.items())
    ),
    "ship_by_missed_ops_tier": Row(
        "ship_by_missed", frozenset({K.SELLER_SHIP_BY_MISSED, K.OPS_SHIP_BY_MISSED})
    ),
    "ship_promise_missed": Row("ship_promise_missed", frozenset({K.CUSTOMER_SHIP_BY_MISSED})),
    "delivered": Row("delivered", frozenset({K.CUSTOMER_DELIVERED})),
    "documents_received": Row(
        "documents_received",
        frozenset({K.CUSTOMER_DOCUMENTS_RECEIVED, K.SELLER_DOCUMENTS_RECEIVED}),
    ),
    "documents_received_late": Row(
        "documents_received",
        frozenset(
            {K.CUSTOMER_DOCUMENTS_RECEIVED, K.SELLER_DOCUMENTS_RECEIVED, K.OPS_DOCUMENTS_RECEIVED}
        ),
        (("late", True),),
    ),
    "payment_declined": Row("payment_declined", frozenset({K.CUSTOMER_PAYMENT_DECLINED})),
    "delivery_late_seller_tier": Row(
        "delivery_late", frozenset({K.CUSTOMER_DELIVERY_LATE}), tuple(SELLER_TIER.items())
    ),
    "delivery_late_ops_tier": Row(
        "delivery_late", frozenset({K.CUSTOMER_DELIVERY_LATE, K.OPS_DELIVERY_LATE})
    ),
    "tracking_stalled_seller_tier": Row(
        "tracking_stalled",
        frozenset({K.CUSTOMER_TRACKING_STALLED, K.SELLER_TRACKING_STALLED}),
        tuple(SELLER_TIER.items()),
    ),
    "tracking_stalled_ops_tier": Row(
        "tracking_stalled",
        frozenset({K.CUSTOMER_TRACKING_STALLED, K.SELLER_TRACKING_STALLED, K.OPS_TRACKING_STALLED}),
    ),
    "delivered_disputed": Row(
        "delivered_disputed",
        frozenset(
            {K.CUSTOMER_DELIVERED_DISPUTED, K.SELLER_DELIVERED_DISPUTED, K.OPS_DELIVERED_DISPUTED}
        ),
    ),
    "documents_due": Row(
        "documents_due", frozenset({K.CUSTOMER_DOCUMENTS_DUE, K.SELLER_DOCUMENTS_DUE})
    ),
    "documents_overdue": Row(
        "documents_overdue",
        frozenset(
            {K.CUSTOMER_DOCUMENTS_OVERDUE, K.SELLER_DOCUMENTS_OVERDUE, K.OPS_DOCUMENTS_OVERDUE}
        ),
    ),
    "order_unconfirmed": Row("order_unconfirmed", frozenset({K.CUSTOMER_ORDER_UNCONFIRMED})),
    "carrier_exception": Row(
        "carrier_exception",
        frozenset(
            {K.CUSTOMER_CARRIER_EXCEPTION, K.SELLER_CARRIER_EXCEPTION, K.OPS_CARRIER_EXCEPTION}
        ),
    ),
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(
    postgres: infrastructure.Database,
    broker: infrastructure.Broker,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Harness]:
    async with notifier_stack(
        postgres, broker, tmp_path_factory.mktemp("mail"), notify_out_for_delivery=True
    ) as harness:
        yield harness


def expected_link(event: Any) -> str:
    number = "".join(event.tracking_number.split())  # compact: carriers' pages take no spaces
    express = event.carrier == "dhl" and number.isdigit() and len(number) == 10
    return ISSUE_LINKS["dhl_express" if express else event.carrier].replace(
        "{n}", quote(number, safe="")
    )


def message_id_of(order_id: str, kind: MessageKind, address: str) -> str:
    """The Message-ID the notifier must give ``kind`` for ``address``, by its definition:
    a hash of the dedup key ``<order>/<kind>/<address hash>``."""
    ref = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
    digest = hashlib.sha256(f"{order_id}/{kind}/{ref}".encode()).hexdigest()[:32]
    return f"<{digest}@parcelwatch.invalid>"


async def deliver(stack: Harness, row: Row) -> tuple[str, Any]:
    """Publish an order and the row's trigger; wait until every message is finished."""
    order_id = new_order_id()
    event = trigger(row.situation, order_id, **dict(row.changes))
    await stack.publish(order_placed(order_id), event)
    states = await stack.settled(order_id, len(row.expected))
    assert states == {kind.value: "sent" for kind in row.expected}
    return order_id, event.data


@pytest.mark.parametrize("name", list(ROWS))
async def test_each_row_sends_each_message_once_with_the_right_link(
    stack: Harness, name: str
) -> None:
    row = ROWS[name]
    order_id, event = await deliver(stack, row)
    link = expected_link(event) if getattr(event, "tracking_number", None) else None

    for audience, address in (
        ("customer", customer_address(order_id)),
        ("seller", seller_address(order_id)),
    ):
        kinds = [kind for kind in row.expected if kind.audience == audience]
        received = stack.mails_to(address)
        assert [mail.message_id for mail in received] == [
            message_id_of(order_id, policy(kind).slot or kind, address) for kind in kinds
        ], audience
        for kind, mail in zip(kinds, received, strict=True):
            urls = set(CARRIER_URL.findall(mail.text or ""))
            shows_link = kind in LINKED and link is not None
            assert urls == ({link} if shows_link else set()), kind
            if shows_link:
                assert f'href="{html.escape(str(link))}"' in (mail.html or ""), kind

    chats = stack.chats_about(order_id)
    ops = {kind for kind in row.expected if kind.audience == "ops"}
    assert sorted(post["blocks"][0]["text"]["text"] for post in chats) == sorted(
        TITLES[kind] for kind in ops
    )
    for post in chats:
        urls = set(re.findall(r"<(https://[^|>]+)\|", json.dumps(post)))
        assert urls == ({link} if link else set())


async def outcome_events(stack: Harness, order_id: str, expect: int) -> list[dict[str, Any]]:
    records = await read_all(
        stack.settings.kafka_bootstrap_servers,
        stack.settings.topic("notifications.v1"),
        expect=expect,
    )
    events = [json.loads(record.value) for record in records if record.value]
    return [event for event in events if event["subject"] == order_id]


async def test_one_event_gives_one_email_with_safe_headers_and_a_sent_event(
    stack: Harness,
) -> None:
    order_id, event = await deliver(stack, ROWS["shipped"])
    [mail] = stack.mails_to(customer_address(order_id))
    headers = dict(mail.headers)
    assert headers["From"] == "ParcelWatch <notifications@parcelwatch.example.com>"
    assert headers["To"] == f"Jamie Rivera <{customer_address(order_id)}>"
    assert headers["Subject"] == f"Your order {order_id} has shipped"
    assert headers["Message-ID"] == message_id_of(
        order_id, K.CUSTOMER_SHIPPED, customer_address(order_id)
    )
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["Content-Language"] == "en"
    assert headers["Content-Type"].startswith("multipart/alternative")
    assert mail.text is not None and "UPS" in mail.text and event.tracking_number in mail.text
    assert mail.html is not None and "<!DOCTYPE html>" in mail.html

    [sent] = await eventually(
        lambda: outcome_events(stack, order_id, expect=1), lambda events: len(events) >= 1
    )
    assert sent["type"] == "notification.sent"
    assert sent["data"]["kind"] == "customer_shipped"
    assert sent["data"]["audience"] == "customer"
    assert sent["data"]["channel"] == "email"
    assert sent["data"]["trigger_event_id"] == f"{order_id}.shipped"
    assert sent["data"]["message_id"] == headers["Message-ID"]
    assert sent["id"] == f"{sent['data']['notification_id']}.sent"
    assert (
        stack.metric(
            "parcelwatch_notifier_notifications_total",
            kind="customer_shipped",
            channel="email",
            outcome="sent",
        )
        >= 1
    )
    assert stack.metric("parcelwatch_notifier_send_duration_seconds_count", channel="email") >= 1


async def test_a_redelivered_or_repeated_event_sends_no_second_email(stack: Harness) -> None:
    order_id, _ = await deliver(stack, ROWS["shipped"])

    async def duplicates() -> float:
        return stack.metric(
            "parcelwatch_notifier_messages_consumed_total",
            topic=stack.settings.topic("tracking.v1"),
            outcome="duplicate",
        )

    before = await duplicates()
    again = trigger("shipped", order_id)  # the same event id: a redelivery
    repeated = trigger("shipped", order_id, event_id=f"{order_id}.shipped-again")
    await stack.publish(again, repeated)
    await eventually(
        lambda: stack.service.pool.fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = $1", repeated.id
        ),
        lambda count: count == 1,
    )
    assert await eventually(duplicates, lambda count: count > before) == before + 1
    assert await stack.settled(order_id, 1) == {"customer_shipped": "sent"}
    assert len(stack.mails_to(customer_address(order_id))) == 1


async def test_an_event_before_its_order_waits_and_is_sent_once_the_order_arrives(
    stack: Harness,
) -> None:
    order_id = new_order_id()
    early = trigger("delivered_disputed", order_id)
    await stack.publish(early)
    await eventually(
        lambda: stack.service.pool.fetchval(
            "SELECT count(*) FROM triggers WHERE event_id = $1 AND routed_at IS NULL", early.id
        ),
        lambda count: count == 1,
    )
    assert await stack.rows(order_id) == {}
    await stack.publish(order_placed(order_id))
    states = await stack.settled(order_id, 3)
    assert states == {
        "customer_delivered_disputed": "sent",
        "seller_delivered_disputed": "sent",
        "ops_delivered_disputed": "sent",
    }
    assert len(stack.mails_to(customer_address(order_id))) == 1
    assert len(stack.mails_to(seller_address(order_id))) == 1
    assert len(stack.chats_about(order_id)) == 1


async def test_the_shipped_email_renders_in_headless_chromium(
    stack: Harness, chromium: str, tmp_path: Path
) -> None:
    order_id, _ = await deliver(stack, ROWS["shipped"])
    [mail] = stack.mails_to(customer_address(order_id))
    assert mail.html is not None
    shots = {}
    blank = "<!DOCTYPE html><html><body></body></html>"
    for name, page in (("blank", blank), ("email", mail.html)):
        (tmp_path / f"{name}.html").write_text(page, encoding="utf-8")
        shot = tmp_path / f"{name}.png"
        chromium_run(
            chromium,
            tmp_path / "profile",
            f"--screenshot={shot}",
            (tmp_path / f"{name}.html").as_uri(),
            width=800,
            height=1000,
        )
        shots[name] = non_white_share(shot.read_bytes())
    assert shots["blank"] < 0.001  # the measure can tell an empty page…
    assert shots["email"] > 0.01, shots  # …from the e-mail, drawn
