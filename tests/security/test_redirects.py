"""SSRF: the chat webhook, the e-mail API and the carrier clients talk only to their
configured host. A redirect to another host is not followed: it is a failure, and the
redirect target never hears from us (nor sees a key). Two real HTTP servers on 127.0.0.1."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from services.notifier.transports.base import PermanentSendError
from services.notifier.transports.http_api import HttpApiTransport
from services.notifier.transports.webhook import WebhookTransport
from services.poller.carriers.base import Malformed
from services.poller.carriers.dhl.client import DhlClient
from services.poller.carriers.dhl.settings import DhlClientSettings
from services.poller.entrypoint import carrier_http_client
from services.poller.metrics import PollerMetrics
from services.poller.settings import PollerSettings

KEY = "redirect-canary-key-7f3a"


@dataclass
class Server:
    """A minimal HTTP/1.1 server that answers every request with ``reply``."""

    reply: bytes
    requests: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            ),
            0,
        )
        body = await reader.readexactly(length) if length else b""
        self.requests.append(head + body)
        writer.write(self.reply)
        await writer.drain()
        writer.close()


@pytest.fixture
async def servers() -> AsyncIterator[tuple[Server, Server]]:
    """``(redirector, target)``: the first answers 302 to the second (another port)."""
    target = Server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    target_server = await asyncio.start_server(target.handle, "127.0.0.1", 0)
    target.port = target_server.sockets[0].getsockname()[1]
    location = f"http://127.0.0.1:{target.port}/stolen"
    redirector = Server(
        f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    redirect_server = await asyncio.start_server(redirector.handle, "127.0.0.1", 0)
    redirector.port = redirect_server.sockets[0].getsockname()[1]
    try:
        yield redirector, target
    finally:
        for server in (redirect_server, target_server):
            server.close()
            await server.wait_closed()


def email() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "a@example.com"
    message["To"] = "b@example.com"
    message["Subject"] = "s"
    message.set_content("text")
    message.add_alternative("<p>html</p>", subtype="html")
    return message


async def test_chat_webhook_does_not_follow_a_redirect(servers: tuple[Server, Server]) -> None:
    redirector, target = servers
    webhook = WebhookTransport(
        SecretStr(f"http://127.0.0.1:{redirector.port}/hooks/{KEY}"), timeout=5
    )
    try:
        with pytest.raises(PermanentSendError) as failure:
            await webhook.post({"text": "alert"}, idempotency_key="n-1")
    finally:
        await webhook.close()
    assert failure.value.reason == "webhook_302"
    assert len(redirector.requests) == 1
    assert target.requests == []
    assert KEY not in str(failure.value)


async def test_email_api_does_not_follow_a_redirect(servers: tuple[Server, Server]) -> None:
    redirector, target = servers
    api = HttpApiTransport(f"http://127.0.0.1:{redirector.port}/send", SecretStr(KEY), timeout=5)
    try:
        with pytest.raises(PermanentSendError) as failure:
            await api.send(email(), idempotency_key="n-1")
    finally:
        await api.close()
    assert failure.value.reason == "api_302"
    assert len(redirector.requests) == 1
    assert KEY.encode() in redirector.requests[0]  # the configured host got the key ...
    assert target.requests == []  # ... the redirect target got nothing


async def test_carrier_client_does_not_follow_a_redirect(servers: tuple[Server, Server]) -> None:
    redirector, target = servers
    settings = PollerSettings.model_validate({})
    http = carrier_http_client(settings, PollerMetrics(CollectorRegistry()))
    assert http.follow_redirects is False
    try:
        dhl = DhlClientSettings(base_url=f"http://127.0.0.1:{redirector.port}", api_key=KEY)
        client = DhlClient(dhl, http)
        outcomes = await client.track(["1234567890"])
    finally:
        await http.aclose()
    assert isinstance(outcomes["1234567890"], Malformed)
    assert len(redirector.requests) == 1
    assert target.requests == []
