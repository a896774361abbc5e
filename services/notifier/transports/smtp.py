"""E-mail over SMTP (aiosmtplib): STARTTLS or implicit TLS, AUTH, timeouts, reused connections.

Replies classify failures: 4xx and lost connections are transient, 5xx permanent. An
authentication failure is transient too: it is the configuration that is wrong, not
the message, so messages wait (up to the retry limits) for the fix.
"""

import time
from dataclasses import dataclass
from typing import Literal

import aiosmtplib
from pydantic import SecretStr

from services.notifier.mail import OutgoingEmail
from services.notifier.transports.base import PermanentSendError, TransientSendError

Security = Literal["auto", "starttls", "tls", "none"]


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: Security = "auto"
    username: str | None = None
    password: SecretStr | None = None
    timeout: float = 30.0
    validate_certs: bool = True
    idle_check_after: float = 5.0
    """A connection idle longer than this is checked with NOOP before reuse."""


class SmtpTransport:
    """Sends each message on an open connection when one is idle, else opens one."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []

    async def send(self, email: OutgoingEmail, *, idempotency_key: str) -> None:
        """Deliver ``email`` as written (no flattening again); the Message-ID already makes
        repeats recognizable."""
        client = await self._checkout()
        try:
            await client.sendmail(email.sender.address, [email.recipient.address], email.data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            client.close()
            first = exc.recipients[0]
            raise _classified("smtp_recipient", first.code, first.message) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            client.close()
            raise TransientSendError("smtp_auth", f"{exc.code} {exc.message}") from None
        except aiosmtplib.SMTPResponseException as exc:
            client.close()
            raise _classified("smtp_reply", exc.code, exc.message) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise TransientSendError("smtp_connection", type(exc).__name__) from None
        self._idle.append((client, time.monotonic()))

    async def close(self) -> None:
        """Say goodbye on every idle connection."""
        idle, self._idle = self._idle, []
        for client, _ in idle:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    async def _checkout(self) -> aiosmtplib.SMTP:
        while self._idle:
            client, since = self._idle.pop()
            if not client.is_connected:
                continue
            if time.monotonic() - since < self._config.idle_check_after:
                return client
            try:
                await client.noop()
                return client
            except (aiosmtplib.SMTPException, OSError):
                client.close()
        return await self._connect()

    async def _connect(self) -> aiosmtplib.SMTP:
        config = self._config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password.get_secret_value() if config.password else None,
            timeout=config.timeout,
            use_tls=config.security == "tls",
            start_tls={"auto": None, "starttls": True}.get(config.security, False),
            validate_certs=config.validate_certs,
        )
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            client.close()
            raise TransientSendError("smtp_auth", f"{exc.code} {exc.message}") from None
        except aiosmtplib.SMTPResponseException as exc:
            client.close()
            raise TransientSendError("smtp_connection", f"{exc.code} {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise TransientSendError("smtp_connection", type(exc).__name__) from None
        return client


def _classified(reason: str, code: int, message: str) -> PermanentSendError | TransientSendError:
    detail = f"{code} {message}"
    if 500 <= code < 600:
        return PermanentSendError(f"{reason}_5xx", detail)
    return TransientSendError(f"{reason}_4xx" if 400 <= code < 500 else reason, detail)
