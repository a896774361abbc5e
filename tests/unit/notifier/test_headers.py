from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default

import pytest

from services.notifier.context import Recipient
from services.notifier.headers import (
    InvalidAddress,
    checked_address,
    clean_header_text,
    mailbox,
    message_id,
)
from services.notifier.kinds import MessageKind
from services.notifier.mail import MailSettings, OutgoingEmail, _mailbox_field, build_email
from services.notifier.rendering import RenderedMessage
from shared.contracts.events import Audience

from .conftest import parsed

NOW = datetime(2025, 3, 10, 14, 5, 9, tzinfo=UTC)
MESSAGE = RenderedMessage(
    kind=MessageKind.CUSTOMER_SHIPPED,
    language="en",
    subject="Your order ord-1 has shipped",
    text="Hi Jamie,\n\nYour order has shipped.\n",
    html="<!DOCTYPE html><html><body><p>Hi Jamie,</p></body></html>",
)


def recipient(name: str = "Jamie Rivera", address: str = "jamie.rivera@example.com") -> Recipient:
    return Recipient(Audience.CUSTOMER, "en", "America/Chicago", address, name)


def built(message: RenderedMessage = MESSAGE, to: Recipient | None = None) -> OutgoingEmail:
    return build_email(
        message, to or recipient(), "ord-1/customer_shipped/ab12", MailSettings(), NOW
    )


def build(message: RenderedMessage = MESSAGE, to: Recipient | None = None) -> EmailMessage:
    return parsed(built(message, to))


def reparsed(email: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(email.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Jamie\r\nBcc: victim@example.com", "Jamie Bcc: victim@example.com"),
        ("Jamie\nRivera", "Jamie Rivera"),
        ("Jamie\x00\x1b[31mRivera\x7f", "Jamie [31mRivera"),
        ("Jamie\u2028Rivera\u2029", "Jamie Rivera"),
        ("Jamie \u202egnp.exe", "Jamie gnp.exe"),
        ("  Zoë   Ødegaard  ", "Zoë Ødegaard"),
    ],
)
def test_header_text_loses_control_characters_when_given_line_breaks_or_escapes(
    raw: str, clean: str
) -> None:
    assert clean_header_text(raw) == clean


@pytest.mark.parametrize(
    "address",
    [
        "jamie@example.com\r\nBcc: victim@example.com",
        "jamie@example.com\n",
        "jamie\x00@example.com",
        "not-an-address",
        "jamie@@example.com",
        "Jamie <jamie@example.com>",
        "jamie@example.com, victim@example.com",
        "jämie@example.com",
    ],
)
def test_address_is_rejected_when_it_is_malformed_or_smuggles_headers(address: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        checked_address(address)
    assert address.strip() not in str(caught.value)


def test_address_is_normalized_to_ascii_when_the_domain_is_international() -> None:
    assert checked_address("jamie@bücher.example") == "jamie@xn--bcher-kva.example"


def test_display_name_is_quoted_when_it_contains_specials() -> None:
    header = str(mailbox('Rivera, "JR" Jamie', "jamie@example.com"))
    assert header == '"Rivera, \\"JR\\" Jamie" <jamie@example.com>'


def test_display_name_is_rfc2047_encoded_when_it_is_not_ascii() -> None:
    email = built(to=recipient(name="Zoë Ødegaard"))
    raw = email.data
    assert b"Zo\xc3\xab" not in raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in raw
    assert parsed(email)["To"].addresses[0].display_name == "Zoë Ødegaard"


def test_injected_headers_stay_inside_the_header_when_name_and_subject_carry_crlf() -> None:
    hostile = RenderedMessage(
        kind=MESSAGE.kind,
        language="en",
        subject="Shipped\r\nBcc: victim@example.com",
        text=MESSAGE.text,
        html=MESSAGE.html,
    )
    email = reparsed(build(hostile, recipient(name="Jamie\r\nBcc: victim@example.com")))
    assert email["Bcc"] is None
    assert email["Subject"] == "Shipped Bcc: victim@example.com"
    assert email["To"].addresses[0].addr_spec == "jamie.rivera@example.com"


def test_build_refuses_the_recipient_when_the_address_carries_crlf() -> None:
    with pytest.raises(InvalidAddress):
        build(to=recipient(address="jamie@example.com\r\nBcc: victim@example.com"))


def test_message_id_is_the_same_when_the_dedup_key_is_the_same() -> None:
    first = message_id("ord-1/customer_shipped/ab12", "parcelwatch.invalid")
    assert first == message_id("ord-1/customer_shipped/ab12", "parcelwatch.invalid")
    assert first != message_id("ord-1/customer_shipped/cd34", "parcelwatch.invalid")
    assert first.startswith("<") and first.endswith("@parcelwatch.invalid>")
    assert len(first.split("@")[0]) == 33


def test_message_id_uses_the_configured_domain() -> None:
    settings = MailSettings(message_id_domain="mail.marketplace.example")
    email = parsed(build_email(MESSAGE, recipient(), "k", settings, NOW))
    assert email["Message-ID"] == message_id("k", "mail.marketplace.example")


def test_settings_reject_a_message_id_domain_when_it_is_not_a_host_name() -> None:
    with pytest.raises(ValueError, match="message_id_domain"):
        MailSettings(message_id_domain="parcelwatch.invalid>\r\nBcc: x")


def test_email_is_multipart_alternative_with_text_then_html() -> None:
    email = reparsed(build())
    assert email.get_content_type() == "multipart/alternative"
    parts = list(email.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content() == MESSAGE.text
    assert parts[1].get_content().rstrip("\n") == MESSAGE.html
    assert all(p.get_content_charset() == "utf-8" for p in parts)


def test_email_has_the_envelope_headers_once_each() -> None:
    email = reparsed(build())
    assert email["From"].addresses[0].addr_spec == "notifications@parcelwatch.example.com"
    assert email["To"].addresses[0].display_name == "Jamie Rivera"
    assert email["Subject"] == "Your order ord-1 has shipped"
    assert email["Date"].datetime == NOW
    assert email["Message-ID"] == message_id("ord-1/customer_shipped/ab12", "parcelwatch.invalid")
    assert email["Auto-Submitted"] == "auto-generated"
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        assert len(email.get_all(name, [])) == 1


def test_email_is_seven_bit_with_crlf_line_ends_when_text_and_names_are_not_ascii() -> None:
    french = RenderedMessage(
        kind=MESSAGE.kind,
        language="fr",
        subject="Votre commande ord-1 a été expédiée",
        text="Bonjour Zoë,\r\nVotre commande a été expédiée.\rÀ bientôt\n",
        html="<p>Zoë</p>",
    )
    email = built(french, recipient(name="Zoë Ødegaard"))
    assert email.data.isascii()
    assert b"\n" not in email.data.replace(b"\r\n", b"")
    assert b"\r" not in email.data.replace(b"\r\n", b"")
    body = parsed(email).get_body(("plain",))
    assert body is not None
    assert body.get_content() == "Bonjour Zoë,\nVotre commande a été expédiée.\nÀ bientôt\n"


def test_build_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="time zone"):
        build_email(MESSAGE, recipient(), "k", MailSettings(), NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    "name",
    [
        "Jamie Rivera",
        "Siobhan O'Brien-Walsh",
        "R2 D2",
        "Jamie",
        "J. Rivera",
        "J.Rivera",
        'Rivera, "JR" Jamie',
        "x" * 47,  # To: x… <jamie.rivera@example.com> is 78 characters: one line
        "x" * 48,  # 79: folded
        "Zoë Ødegaard",
        "=?utf-8?q?Jamie?=",
        "A Very Long Display Name That Will Not Fit On One Header Line With Its Address",
        "",
    ],
)
def test_address_header_is_what_the_email_package_writes_when_names_are_plain_or_not(
    name: str,
) -> None:
    address = "jamie.rivera@example.com"
    expected = SMTP.header_factory("To", mailbox(name, address)).fold(policy=SMTP)
    assert _mailbox_field("To", name, address)[1] == expected.encode("ascii")
