"""The SMTP transport against aiosmtpd speaking STARTTLS and AUTH (self-signed certificate)."""

import asyncio
import shutil
import ssl
import subprocess
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from pydantic import SecretStr

from parcelwatch.dev.capture.smtp import CaptureHandler, SmtpCapture
from parcelwatch.dev.capture.store import MailStore
from parcelwatch.dev.stack.processes import free_port
from services.notifier.transports.base import TransientSendError
from services.notifier.transports.smtp import SmtpConfig, SmtpTransport


class TlsCapture(SmtpCapture):
    """The capture, offering STARTTLS and requiring it and AUTH before mail."""

    def __init__(self, handler: object, port: int, context: ssl.SSLContext) -> None:
        super().__init__(handler, port=port)
        self.context = context

    async def start(self) -> None:
        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
                b"parcelwatch",
                b"s3cret",
            )
            return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd replies 535

        def session() -> SMTP:
            return SMTP(
                self.handler,
                hostname="capture",
                tls_context=self.context,
                require_starttls=True,
                auth_required=True,
                authenticator=authenticate,
            )

        self._server = await asyncio.get_running_loop().create_server(session, self.host, self.port)


@pytest.fixture
def tls_context(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def message() -> EmailMessage:
    email = EmailMessage()
    email["From"] = "notifications@parcelwatch.example.com"
    email["To"] = "jamie@example.com"
    email["Subject"] = "Your order has shipped"
    email.set_content("Hello")
    return email


def config(port: int, password: str) -> SmtpConfig:
    return SmtpConfig(
        host="127.0.0.1",
        port=port,
        security="starttls",
        username="parcelwatch",
        password=SecretStr(password),
        timeout=5,
        validate_certs=False,
    )


async def test_starttls_and_auth_deliver(tmp_path: Path, tls_context: ssl.SSLContext) -> None:
    store = MailStore(tmp_path / "mail")
    capture = TlsCapture(CaptureHandler(store), free_port(), tls_context)
    await capture.start()
    transport = SmtpTransport(config(capture.port, "s3cret"))
    try:
        await transport.send(message(), idempotency_key="k1")
        await transport.send(message(), idempotency_key="k2")  # on the same connection
    finally:
        await transport.close()
        await capture.stop()
    assert len(store.names()) == 2


async def test_refused_credentials_are_transient_and_do_not_leak(
    tmp_path: Path, tls_context: ssl.SSLContext
) -> None:
    capture = TlsCapture(CaptureHandler(MailStore(tmp_path)), free_port(), tls_context)
    await capture.start()
    transport = SmtpTransport(config(capture.port, "wrong-password"))
    try:
        with pytest.raises(TransientSendError) as raised:
            await transport.send(message(), idempotency_key="k")
    finally:
        await transport.close()
        await capture.stop()
    assert raised.value.reason == "smtp_auth"
    assert "wrong-password" not in str(raised.value)
