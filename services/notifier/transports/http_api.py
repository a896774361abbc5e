"""E-mail through an HTTP e-mail API (httpx): one JSON POST per message.

The body carries the sender, the recipient, subject, both parts, the attachments (base64)
and the headers that matter (``Message-ID``, ``Auto-Submitted``, ``Content-Language``); the
request carries
an ``Idempotency-Key`` so that a retried POST is delivered once by APIs that honour it.
"""

import base64
from typing import Any

import httpx
from pydantic import SecretStr

from services.notifier.mail import OutgoingEmail, Party
from services.notifier.transports.http import check, network_error


def api_payload(email: OutgoingEmail) -> dict[str, Any]:
    """The JSON body for ``email`` (text + HTML, and its attachments if any)."""
    payload: dict[str, Any] = {
        "from": _party(email.sender),
        "to": [_party(email.recipient)],
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "headers": dict(email.headers),
    }
    attachments = [
        {
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "content": base64.b64encode(attachment.data).decode("ascii"),
        }
        for attachment in email.attachments
    ]
    if attachments:
        payload["attachments"] = attachments
    return payload


def _party(party: Party) -> dict[str, str]:
    return {"email": party.address, "name": party.name}


class HttpApiTransport:
    """POSTs each e-mail as JSON with a bearer token and an idempotency key."""

    def __init__(
        self,
        url: str,
        api_key: SecretStr | None,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"User-Agent": "parcelwatch-notifier"}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._url = url
        # Never follow a redirect (it would carry the API key to another host): a 3xx fails.
        self._client = httpx.AsyncClient(
            timeout=timeout, headers=headers, transport=transport, follow_redirects=False
        )

    async def send(self, email: OutgoingEmail, *, idempotency_key: str) -> None:
        try:
            response = await self._client.post(
                self._url,
                json=api_payload(email),
                headers={"Idempotency-Key": idempotency_key},
            )
        except httpx.HTTPError as exc:
            raise network_error(exc, "api") from None
        check(response, "api")

    async def close(self) -> None:
        await self._client.aclose()
