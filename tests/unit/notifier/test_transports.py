import json
from email.message import EmailMessage

import httpx
import pytest
from pydantic import SecretStr

from services.notifier.transports.base import PermanentSendError, TransientSendError, redact
from services.notifier.transports.http import retry_after
from services.notifier.transports.http_api import HttpApiTransport, api_payload
from services.notifier.transports.smtp import _classified
from services.notifier.transports.webhook import WebhookTransport


def email() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "ParcelWatch <notifications@parcelwatch.example.com>"
    message["To"] = "Jamie Rivera <jamie@example.com>"
    message["Subject"] = "Your order has shipped"
    message["Message-ID"] = "<abc@parcelwatch.invalid>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("Hello")
    message.add_alternative("<p>Hello</p>", subtype="html")
    message["Content-Language"] = "en"
    return message


def test_redact_removes_addresses_from_server_replies() -> None:
    reply = "550 5.1.1 <jamie.rivera+x@example.com>: Recipient address rejected"
    assert redact(reply) == "550 5.1.1 <<address>>: Recipient address rejected"


def test_errors_never_carry_an_address() -> None:
    error = PermanentSendError("smtp_recipient_5xx", "550 <a.b@example.com> unknown")
    assert "example.com" not in str(error)
    assert error.reason == "smtp_recipient_5xx"


@pytest.mark.parametrize(
    ("code", "error", "reason"),
    [
        (421, TransientSendError, "smtp_reply_4xx"),
        (451, TransientSendError, "smtp_reply_4xx"),
        (550, PermanentSendError, "smtp_reply_5xx"),
        (554, PermanentSendError, "smtp_reply_5xx"),
        (-1, TransientSendError, "smtp_reply"),
    ],
)
def test_smtp_replies_4xx_are_transient_and_5xx_permanent(
    code: int, error: type[Exception], reason: str
) -> None:
    classified = _classified("smtp_reply", code, "text")
    assert isinstance(classified, error)
    assert classified.reason == reason


def test_api_payload_carries_both_parts_and_the_identifying_headers() -> None:
    payload = api_payload(email())
    assert payload == {
        "from": {"email": "notifications@parcelwatch.example.com", "name": "ParcelWatch"},
        "to": [{"email": "jamie@example.com", "name": "Jamie Rivera"}],
        "subject": "Your order has shipped",
        "text": "Hello\n",
        "html": "<p>Hello</p>\n",
        "headers": {
            "Message-ID": "<abc@parcelwatch.invalid>",
            "Auto-Submitted": "auto-generated",
            "Content-Language": "en",
        },
    }


def test_api_payload_carries_attachments_in_base64() -> None:
    message = email()
    message.add_attachment(b"%PDF-1.3 x", maintype="application", subtype="pdf", filename="d.pdf")
    payload = api_payload(message)
    assert payload["attachments"] == [
        {"filename": "d.pdf", "content_type": "application/pdf", "content": "JVBERi0xLjMgeA=="}
    ]
    assert payload["text"] == "Hello\n"


async def test_http_api_posts_json_with_bearer_token_and_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"id": "m-1"})

    transport = HttpApiTransport(
        "https://mail.example.com/v1/send",
        SecretStr("key-123"),
        timeout=5,
        transport=httpx.MockTransport(reply),
    )
    await transport.send(email(), idempotency_key="nid-1")
    await transport.close()
    [request] = seen
    assert request.headers["authorization"] == "Bearer key-123"
    assert request.headers["idempotency-key"] == "nid-1"
    assert json.loads(request.content)["subject"] == "Your order has shipped"


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (429, TransientSendError, "api_429"),
        (408, TransientSendError, "api_408"),
        (500, TransientSendError, "api_5xx"),
        (503, TransientSendError, "api_5xx"),
        (400, PermanentSendError, "api_4xx"),
        (422, PermanentSendError, "api_4xx"),
    ],
)
async def test_http_api_classifies_status_codes(
    status: int, error: type[Exception], reason: str
) -> None:
    transport = HttpApiTransport(
        "https://mail.example.com/v1/send",
        None,
        timeout=5,
        transport=httpx.MockTransport(lambda _: httpx.Response(status, text="nope")),
    )
    with pytest.raises(error) as raised:
        await transport.send(email(), idempotency_key="k")
    assert raised.value.reason == reason  # type: ignore[attr-defined]
    await transport.close()


async def test_a_429_passes_on_the_servers_retry_after() -> None:
    transport = HttpApiTransport(
        "https://mail.example.com/v1/send",
        None,
        timeout=5,
        transport=httpx.MockTransport(lambda _: httpx.Response(429, headers={"Retry-After": "30"})),
    )
    with pytest.raises(TransientSendError) as raised:
        await transport.send(email(), idempotency_key="k")
    assert raised.value.retry_after == 30
    await transport.close()


async def test_network_errors_are_transient_and_do_not_leak_the_webhook_url() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused to " + str(request.url))

    webhook = WebhookTransport(
        SecretStr("https://hooks.example.com/services/T0/B0/secret-token"),
        timeout=5,
        transport=httpx.MockTransport(fail),
    )
    with pytest.raises(TransientSendError) as raised:
        await webhook.post({"text": "hi"}, idempotency_key="k")
    assert raised.value.reason == "webhook_network"
    assert "secret-token" not in str(raised.value)
    await webhook.close()


async def test_webhook_posts_the_payload_as_json() -> None:
    bodies: list[object] = []

    def reply(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, text="ok")

    webhook = WebhookTransport(
        SecretStr("https://hooks.example.com/x"), timeout=5, transport=httpx.MockTransport(reply)
    )
    await webhook.post({"text": "Carrier exception"}, idempotency_key="k")
    await webhook.close()
    assert bodies == [{"text": "Carrier exception"}]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("", None), ("120", 120.0), ("soon", None)],
)
def test_retry_after_reads_delta_seconds(header: str | None, seconds: float | None) -> None:
    assert retry_after(header) == seconds


def test_retry_after_reads_an_http_date() -> None:
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
