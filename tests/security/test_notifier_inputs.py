"""Header injection and markup in customer-supplied fields, end to end through the notifier
(real broker and PostgreSQL) into an SMTP capture; hostile addresses and ids are refused by
the contracts and dead-lettered with a reason."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from parcelwatch.dev.capture.smtp import CaptureHandler
from parcelwatch.dev.capture.view import MessageView
from shared.contracts.envelope import MAX_EVENT_BYTES
from tests.integration.notifier.harness import Harness, eventually, notifier_stack
from tests.integration.notifier.scenario import (
    customer_address,
    new_order_id,
    order_placed,
    seller_address,
    trigger,
)
from tests.security.inputs import hostile_order, tags
from tests.support import infrastructure
from tests.support.kafka import read_all

pytestmark = pytest.mark.asyncio(loop_scope="module")

INJECTION = "Eve\r\nBcc: victim@evil.example\r\nX-Injected: yes\n\rCc: other@evil.example\x0b\x1b"
EXPECTED_HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
    "Content-Language",
]


class RecordingHandler(CaptureHandler):
    """Keeps every message and, per message, the SMTP envelope recipients."""

    envelopes: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        RecordingHandler.envelopes.append(list(envelope.rcpt_tos))
        return await super().handle_DATA(server, session, envelope)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(
    postgres: infrastructure.Database,
    broker: infrastructure.Broker,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Harness]:
    async with notifier_stack(
        postgres, broker, tmp_path_factory.mktemp("mail"), handler=RecordingHandler
    ) as harness:
        yield harness


def only(mails: list[MessageView]) -> MessageView:
    assert len(mails) == 1, [m.to for m in mails]
    return mails[0]


async def test_control_characters_in_names_never_make_a_header(stack: Harness) -> None:
    order_id = new_order_id()
    await stack.publish(
        hostile_order(
            order_id,
            customer={"name": INJECTION},
            seller={"name": "Shop\u2028Bcc: seller-victim@evil.example\u202e\r\nReply-To: x@y.z"},
        ),
        trigger("tracking_stalled", order_id),  # customer, seller, ops chat
    )
    rows = await stack.settled(order_id, 3)
    assert set(rows.values()) == {"sent"}, rows
    customer = only(stack.mails_to(customer_address(order_id)))
    seller = only(stack.mails_to(seller_address(order_id)))
    for mail in (customer, seller):
        assert [name for name, _ in mail.headers] == EXPECTED_HEADERS
        for _, value in mail.headers:
            assert not any(char in value for char in "\r\n\x0b\x1b\u2028\u202e"), value
    assert customer.to == (
        f'"Eve Bcc: victim@evil.example X-Injected: yes Cc: other@evil.example" '
        f"<{customer_address(order_id)}>"
    )
    assert seller.to.endswith(f"<{seller_address(order_id)}>")
    assert "Bcc: seller-victim@evil.example Reply-To: x@y.z" in seller.to
    # The SMTP envelope went to the one recipient of each message, nobody else.
    recipients = sorted(
        address
        for envelope in RecordingHandler.envelopes
        for address in envelope
        if order_id in address
    )
    assert recipients == sorted([customer_address(order_id), seller_address(order_id)])
    assert not [a for e in RecordingHandler.envelopes for a in e if "evil.example" in a]


MARKUP = {
    "customer": "<script>alert('customer')</script>",
    "seller": '"><img src=x onerror="alert(1)">Seller',
    "title": "<b onmouseover=alert(2)>Phone</b><script>x</script>",
    "description": "<svg onload=alert(3)>Departed</svg>",
    "stalled": "<iframe src=javascript:alert(4)></iframe>stalled",
    "city": "<script>city()</script>",
}


def assert_inert(html: str) -> None:
    """No script, iframe, svg or img element and no event-handler or javascript: attribute."""
    for tag, attrs in tags(html):
        assert tag not in {"script", "iframe", "svg", "img", "object", "embed"}, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "").lower(), (tag, value)
    assert "<script" not in html.lower()


async def test_markup_in_every_customer_supplied_field_is_escaped(stack: Harness) -> None:
    order_id = new_order_id()
    location = {"city": MARKUP["city"], "state": "TX", "postal_code": "75149", "country": "US"}
    await stack.publish(
        hostile_order(
            order_id,
            customer={"name": MARKUP["customer"], "given_name": MARKUP["customer"]},
            seller={"name": MARKUP["seller"]},
            titles=[MARKUP["title"]],
        ),
        trigger("shipped", order_id, description=MARKUP["description"], location=location),
        trigger("delivery_attempted", order_id, description=MARKUP["description"]),
        trigger(
            "tracking_stalled",
            order_id,
            latest_description=MARKUP["stalled"],
            severity="seller",
        ),
    )
    rows = await stack.settled(order_id, 4)
    assert set(rows.values()) == {"sent"}, rows
    mails = stack.mails_to(customer_address(order_id)) + stack.mails_to(seller_address(order_id))
    assert len(mails) == 4
    html = "".join(mail.html or "" for mail in mails)
    text = "".join(mail.text or "" for mail in mails)
    for mail in mails:
        assert mail.html is not None
        assert_inert(mail.html)
    # Each field was rendered: escaped in HTML, verbatim in the plain-text part.
    for field in ("customer", "seller", "title", "description", "stalled"):
        assert MARKUP[field] in text, field
        assert MARKUP[field] not in html, field
    assert "&lt;script&gt;alert(&#39;customer&#39;)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Seller" in html
    assert "&lt;svg onload=alert(3)&gt;Departed&lt;/svg&gt;" in html
    assert "&lt;b onmouseover=alert(2)&gt;Phone" in html
    assert "&lt;iframe src=javascript:alert(4)&gt;&lt;/iframe&gt;stalled" in html
    assert MARKUP["city"] not in html


async def dead_letters(stack: Harness, topic: str, order_ids: set[str]) -> list[Any]:
    records = await read_all(
        stack.settings.kafka_bootstrap_servers,
        stack.settings.topic(topic) + ".dlq",
        expect=len(order_ids),
        timeout=20,
    )
    return [r for r in records if r.value and any(o.encode() in r.value for o in order_ids)]


async def test_control_characters_in_addresses_and_ids_are_dead_lettered(stack: Harness) -> None:
    bad_email, bad_seller, bad_id, nul = (new_order_id() for _ in range(4))
    values = []
    for order_id, path, value in (
        (bad_email, ("customer", "email"), f"eve.{bad_email}@example.com\r\nBcc: v@evil.example"),
        (bad_seller, ("seller", "email"), f"shop.{bad_seller}@example.com\nCc: v@evil.example"),
        (bad_id, ("order_id",), f"{bad_id}\r\nBcc: v@evil.example"),
        # PostgreSQL cannot store U+0000: refused at decoding, not retried by a handler.
        (nul, ("customer", "name"), "Eve\x00Bcc: v@evil.example"),
    ):
        event = json.loads(order_placed(order_id).to_json())
        target = event["data"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        if path == ("order_id",):
            event["subject"] = value
        values.append(json.dumps(event).encode())
    topic = stack.settings.topic("orders.v1")
    for value in values:
        await stack.producer.send_and_wait(topic, value, key=b"hostile")
    letters = await dead_letters(stack, "orders.v1", {bad_email, bad_seller, bad_id, nul})
    assert len(letters) == 4
    errors = {dict(r.headers)["dlq-error"].decode() for r in letters}
    assert any("data.customer.email" in e for e in errors), errors
    assert any("data.seller.email" in e for e in errors), errors
    assert any("data.order_id" in e for e in errors), errors
    assert any("NUL character" in e for e in errors), errors
    for error in errors:
        assert "evil.example" not in error and "\n" not in error, error  # no address quoted
    # Nothing was stored or sent for them, and the partition kept flowing.
    good = new_order_id()
    await stack.publish(order_placed(good), trigger("shipped", good))
    assert await stack.settled(good, 1) == {"customer_shipped": "sent"}
    for order_id in (bad_email, bad_seller, bad_id, nul):
        assert await stack.rows(order_id) == {}


async def test_oversized_nested_and_non_utf8_messages_are_dead_lettered(stack: Harness) -> None:
    big, deep, binary = new_order_id(), new_order_id(), new_order_id()
    placed = json.loads(order_placed(big).to_json())
    placed["data"]["padding"] = "x" * (MAX_EVENT_BYTES + 1)
    nested = json.loads(order_placed(deep).to_json())
    nested["data"]["extra"] = "@NEST@"
    nested_raw = json.dumps(nested).encode().replace(b'"@NEST@"', b"[" * 50_000 + b"]" * 50_000)
    broken = order_placed(binary).to_json().replace(b"Jamie", b"J\xff\xfe\xc3(", 1)
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.settings.kafka_bootstrap_servers, max_request_size=4 * 2**20
    )
    await producer.start()
    try:
        for key, value in (
            (big, json.dumps(placed).encode()),
            (deep, nested_raw),
            (binary, broken),
        ):
            await producer.send_and_wait(stack.settings.topic("orders.v1"), value, key=key.encode())
    finally:
        await producer.stop()

    async def probe() -> dict[str, dict[str, bytes]]:
        records = await read_all(
            stack.settings.kafka_bootstrap_servers,
            stack.settings.topic("orders.v1") + ".dlq",
            expect=3,
            timeout=5,
        )
        return {r.key.decode(): dict(r.headers) for r in records if r.key}

    found = await eventually(probe, lambda found: {big, deep, binary} <= set(found))
    reasons = {order_id: found[order_id] for order_id in (big, deep, binary)}
    assert set(reasons) == {big, deep, binary}
    assert b"exceeds 1048576" in reasons[big]["dlq-error"]
    # Too large for the service's own producer: dead-lettered without its value, size noted.
    assert reasons[big]["dlq-value-dropped"] == f"{len(json.dumps(placed))} bytes".encode()
    assert b"recursion limit" in reasons[deep]["dlq-error"]
    assert b"Invalid JSON" in reasons[binary]["dlq-error"]
    for headers in reasons.values():
        assert headers["dlq-origin-topic"] == stack.settings.topic("orders.v1").encode()
        assert headers["dlq-service"] == b"notifier"
    # The service is still consuming: the next valid order and its trigger go through.
    good = new_order_id()
    await stack.publish(order_placed(good), trigger("shipped", good))
    assert await stack.settled(good, 1) == {"customer_shipped": "sent"}
    topic = stack.settings.topic("orders.v1")
    assert stack.metric("parcelwatch_notifier_dead_letters_total", topic=topic) >= 3
