"""Operations alerts to a Slack-compatible incoming webhook (httpx, JSON)."""

from typing import Any

import httpx
from pydantic import SecretStr

from services.notifier.transports.http import check, network_error


class WebhookTransport:
    """POSTs chat payloads to one webhook URL (a secret: it embeds its own token)."""

    def __init__(
        self,
        url: SecretStr,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = url
        # Never follow a redirect: the configured host is the only one we talk to (a 3xx
        # reply is a failure, see ``check``).
        self._client = httpx.AsyncClient(
            timeout=timeout,
            headers={"User-Agent": "parcelwatch-notifier"},
            transport=transport,
            follow_redirects=False,
        )

    async def post(self, payload: dict[str, Any], *, idempotency_key: str) -> None:
        try:
            response = await self._client.post(
                self._url.get_secret_value(),
                json=payload,
                headers={"Idempotency-Key": idempotency_key},
            )
        except httpx.HTTPError as exc:
            raise network_error(exc, "webhook") from None
        check(response, "webhook")

    async def close(self) -> None:
        await self._client.aclose()
