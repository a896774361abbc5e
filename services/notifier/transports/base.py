"""The transport ports and the two ways a send can fail.

A transport raises :class:`TransientSendError` (try again later: an outage, a 4xx SMTP
reply, a 429 or 5xx from an API) or :class:`PermanentSendError` (this message will never
go: a 5xx SMTP reply, a 4xx from an API). Their text is safe to log and to publish:
e-mail addresses in server replies are redacted.
"""

import re
from typing import Any, Protocol

from services.notifier.mail import OutgoingEmail

_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
_MAX_DETAIL = 300


def redact(text: str) -> str:
    """``text`` with anything that looks like an e-mail address replaced, shortened."""
    return " ".join(_ADDRESS.sub("<address>", text).split())[:_MAX_DETAIL]


class SendError(Exception):
    """A send that did not go through. ``reason`` is a short label for metrics."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {redact(detail)}")
        self.reason = reason


class TransientSendError(SendError):
    """Try again later; ``retry_after`` is the server's hint in seconds, if it gave one."""

    def __init__(self, reason: str, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason, detail)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """This message will never be accepted."""


class EmailTransport(Protocol):
    async def send(self, email: OutgoingEmail, *, idempotency_key: str) -> None:
        """Hand ``email`` over; return once the server has accepted it."""
        ...

    async def close(self) -> None: ...


class ChatTransport(Protocol):
    async def post(self, payload: dict[str, Any], *, idempotency_key: str) -> None:
        """Post one chat message; return once the webhook has accepted it."""
        ...

    async def close(self) -> None: ...
