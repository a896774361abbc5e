import json

import pytest

from services.notifier.chat import TITLES, chat_payload
from services.notifier.kinds import MessageKind
from services.notifier.links import LinkSettings
from services.notifier.samples import sample_context, sample_event
from shared.contracts.events import Channel

from .conftest import context_of, order_with

K = MessageKind
CHAT_KINDS = [kind for kind in MessageKind if kind.channel is Channel.CHAT]
LINKS = LinkSettings()


@pytest.mark.parametrize("kind", CHAT_KINDS)
def test_chat_payload_has_fallback_text_and_blocks_for_every_ops_kind(kind: MessageKind) -> None:
    payload = chat_payload(kind, sample_context(kind), LINKS)
    assert set(payload) == {"text", "blocks"}
    assert TITLES[kind] in payload["text"]
    assert "ord-2025-004817" in payload["text"]
    assert payload["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": TITLES[kind]},
    }
    for block in payload["blocks"][2:]:
        assert 0 < len(block["fields"]) <= 10
    json.dumps(payload)


@pytest.mark.parametrize("kind", CHAT_KINDS)
def test_chat_payload_never_contains_the_customers_email_or_name(kind: MessageKind) -> None:
    order = order_with(customer={"email": "secret.person@example.com", "name": "Secret Person"})
    dumped = json.dumps(chat_payload(kind, context_of(sample_event(kind), order), LINKS))
    assert "secret.person" not in dumped
    assert "Secret Person" not in dumped
    assert order.seller.email not in dumped


def test_chat_payload_escapes_names_when_they_contain_slack_markup() -> None:
    order = order_with(seller={"name": "<!channel> Deals & <https://evil.example|Steals>"})
    kind = K.OPS_CARRIER_EXCEPTION
    dumped = json.dumps(chat_payload(kind, context_of(sample_event(kind), order), LINKS))
    assert "<!channel>" not in dumped
    assert "&lt;!channel&gt; Deals &amp; &lt;https://evil.example|Steals&gt;" in dumped


def test_chat_payload_links_the_tracking_number() -> None:
    kind = K.OPS_DELIVERED_DISPUTED
    dumped = json.dumps(chat_payload(kind, sample_context(kind), LINKS))
    assert (
        "<https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490"
        "|9400 1118 9922 3197 4284 90>" in dumped
    )


def test_chat_payload_shows_the_deadline_and_what_is_missing_for_ship_by() -> None:
    kind = K.OPS_SHIP_BY_MISSED
    fields = [
        field["text"]
        for block in chat_payload(kind, sample_context(kind), LINKS)["blocks"][2:]
        for field in block["fields"]
    ]
    assert "*Deadline*\n2025-03-06 05:59 UTC" in fields
    assert "*Missing*\nnever_scanned" in fields
    assert "*Severity*\nops" in fields


def test_chat_payload_refuses_email_kinds() -> None:
    with pytest.raises(ValueError, match="not a chat message"):
        chat_payload(K.CUSTOMER_SHIPPED, sample_context(K.CUSTOMER_SHIPPED), LINKS)


def test_chat_payload_refuses_a_kind_when_the_event_does_not_trigger_it() -> None:
    with pytest.raises(TypeError):
        chat_payload(K.OPS_CARRIER_EXCEPTION, sample_context(K.OPS_SHIP_BY_MISSED), LINKS)
