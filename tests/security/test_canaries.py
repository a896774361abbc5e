"""Canary run: secrets and a customer's address set to unique strings, the notifier driven
through deliveries, an SMTP AUTH refusal, a 550 refusal and two dead-lettered messages (one
of them an order holding the customer's address, sealed on the dead-letter topic); then
every log line, the ``/metrics`` page, every dead letter and every published outcome is
searched for the canaries. None may appear."""

import asyncio
import io
import json
import uuid
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from pydantic import SecretStr

from parcelwatch.dev.capture.smtp import MAX_MESSAGE_BYTES, CaptureHandler, SmtpCapture
from shared.infra.deadletter import SEALED, Sealer
from tests.integration.notifier.harness import Harness, eventually, rig, serving
from tests.integration.notifier.scenario import new_order_id, order_placed, trigger
from tests.support import infrastructure
from tests.support.kafka import read_all

TOKEN = uuid.uuid4().hex[:12]
SMTP_PASSWORD = f"smtp-pw-canary-{TOKEN}"
API_KEY = f"api-key-canary-{TOKEN}"
WEBHOOK_TOKEN = f"hook-canary-{TOKEN}"
CUSTOMER = f"cust.canary.{TOKEN}@example.com"
REJECTED = f"reject.canary.{TOKEN}@example.com"
CANARIES = (SMTP_PASSWORD, API_KEY, WEBHOOK_TOKEN, CUSTOMER, REJECTED, TOKEN)
DLQ_KEY = Sealer.new_key()


class RefusingHandler(CaptureHandler):
    """Refuses ``reject.*`` recipients for good, quoting the address as real servers do."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("reject."):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class AuthCapture(SmtpCapture):
    """The capture with AUTH (in clear, on loopback): refuses the first login, then
    accepts the canary password."""

    logins: list[bool] = []

    async def start(self) -> None:
        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
            ok = isinstance(data, LoginPassword) and data.password.decode() == SMTP_PASSWORD
            ok = ok and bool(AuthCapture.logins)
            AuthCapture.logins.append(ok)
            return AuthResult(success=ok)

        def session() -> SMTP:
            return SMTP(
                self.handler,
                hostname="parcelwatch-capture",
                data_size_limit=MAX_MESSAGE_BYTES,
                authenticator=authenticate,
                auth_require_tls=False,
            )

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(session, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]


def hits(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


async def test_no_secret_or_address_leaks(
    postgres: infrastructure.Database,
    broker: infrastructure.Broker,
    tmp_path_factory: pytest.TempPathFactory,
    log_buffer: io.StringIO,
) -> None:
    async with rig(
        postgres,
        broker,
        tmp_path_factory.mktemp("mail"),
        handler=RefusingHandler,
        smtp_username="parcelwatch",
        smtp_password=SMTP_PASSWORD,
        email_api_key=API_KEY,
        smtp_security="none",
        retry_initial=0.1,
        retry_max=0.3,
        dlq_encryption_keys=DLQ_KEY,
    ) as parts:
        # The same capture, on the same port, now with AUTH.
        await parts.smtp.stop()
        parts.smtp = AuthCapture(parts.smtp.handler, port=parts.smtp.port)
        await parts.smtp.start()
        webhook = parts.settings.chat_webhook_url
        assert webhook is not None
        parts.settings = parts.settings.model_copy(
            update={
                "chat_webhook_url": type(webhook)(f"{webhook.get_secret_value()}?t={WEBHOOK_TOKEN}")
            }
        )
        try:
            async with serving(parts) as stack:
                await drive(stack)
                async with httpx.AsyncClient() as client:
                    url = f"http://127.0.0.1:{stack.settings.http_port}/metrics"
                    metrics = (await client.get(url)).text
        finally:
            await parts.smtp.stop()  # the rig stops the capture it started, not this one
        outcomes = await read_all(
            parts.settings.kafka_bootstrap_servers,
            parts.settings.topic("notifications.v1"),
            expect=4,
            timeout=10,
        )
        letters = []
        for topic in ("orders.v1", "tracking.v1", "sla.v1"):
            letters += await read_all(
                parts.settings.kafka_bootstrap_servers,
                parts.settings.topic(topic) + ".dlq",
                expect=0 if topic == "tracking.v1" else 1,
                timeout=5,
            )
    assert AuthCapture.logins[0] is False and True in AuthCapture.logins
    assert len(letters) == 2
    logs = log_buffer.getvalue()
    assert logs.count("\n") > 20, "logging was not captured"
    assert "message refused for good" in logs and "dead-lettered" in logs
    # ``mail.log`` is aiosmtpd, the test's SMTP server: it logs the SMTP dialogue.
    lines = [line for line in logs.splitlines() if '"logger": "mail.log"' not in line]
    assert [line for line in lines if hits(line)] == []
    assert "parcelwatch_notifier_notifications_total" in metrics
    assert hits(metrics) == []
    for record in letters:
        assert hits(repr(record.headers) + repr(record.value) + repr(record.key)) == []
        assert ("dlq-value-encoding", SEALED.encode()) in record.headers
    # Sealed, not dropped: the key opens the order with the customer's address in it.
    opened = [Sealer(SecretStr(DLQ_KEY)).open(record.value) for record in letters]
    assert [CUSTOMER in value.decode() for value in opened].count(True) == 1
    published = [record.value.decode() for record in outcomes if record.value]
    assert any('"notification.failed"' in event for event in published)
    assert [event for event in published if hits(event)] == []


async def drive(stack: Harness) -> None:
    delivered, refused = new_order_id(), new_order_id()
    await stack.publish(
        order_placed(delivered, customer_email=CUSTOMER),
        trigger("tracking_stalled", delivered),  # customer, seller, ops chat
        order_placed(refused, customer_email=REJECTED),
        trigger("shipped", refused),
    )
    broken = json.loads(order_placed(new_order_id(), customer_email=CUSTOMER).to_json())
    broken["data"]["placed_at"] = "not a time"
    await stack.producer.send_and_wait(
        stack.settings.topic("orders.v1"), json.dumps(broken).encode(), key=b"broken"
    )
    poison = json.loads(trigger("delivery_late", delivered, event_id=f"{delivered}.bad").to_json())
    poison["data"]["severity"] = "catastrophic"
    await stack.producer.send_and_wait(
        stack.settings.topic("sla.v1"), json.dumps(poison).encode(), key=delivered.encode()
    )
    assert set((await stack.settled(delivered, 3)).values()) == {"sent"}
    assert await stack.settled(refused, 1) == {"customer_shipped": "failed"}
    assert [m for m in stack.mails() if CUSTOMER in m.to]
    errors = await eventually(
        lambda: stack.service.pool.fetch("SELECT last_error FROM notifications"),
        lambda rows: len(rows) >= 4,
    )
    assert [r["last_error"] for r in errors if r["last_error"] and hits(r["last_error"])] == []
