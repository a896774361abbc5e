"""E-mail through an HTTP e-mail API (httpx): one JSON POST per message.

The body carries the sender, the recipient, subject, both parts, the attachments (base64)
and the headers that matter (``Message-ID``, ``Auto-Submitted``, ``Content-Language``); the
request carries
an ``Idempotency-Key`` so that a retried POST is delivered once by APIs that honour it.
"""

import base64
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

import httpx
from pydantic import SecretStr

from services.notifier.transports.http import check, network_error

PASSED_HEADERS = ("Message-ID", "Auto-Submitted", "Content-Language")


def api_payload(email: EmailMessage) -> dict[str, Any]:
    """The JSON body for ``email`` (text + HTML, and its attachments if any)."""
    text = email.get_body(("plain",))
    html = email.get_body(("html",))
    payload: dict[str, Any] = {
        "from": _party(email["From"].addresses[0]),
        "to": [_party(address) for address in email["To"].addresses],
        "subject": str(email["Subject"]),
        "text": text.get_content() if text is not None else None,
        "html": html.get_content() if html is not None else None,
        "headers": {name: str(email[name]) for name in PASSED_HEADERS if email[name]},
    }
    attachments = [
        {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "content": base64.b64encode(part.get_content()).decode("ascii"),
        }
        for part in email.iter_attachments()
    ]
    if attachments:
        payload["attachments"] = attachments
    return payload


def _party(address: Address) -> dict[str, str]:
    return {"email": address.addr_spec, "name": address.display_name}


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

    async def send(self, email: EmailMessage, *, idempotency_key: str) -> None:
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
