"""Carrier pushes: each carrier plugin with a webhook gets an endpoint once its credential
is set. A push goes through the same decision and transaction as a poll."""

import hmac
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import SecretStr

from services.poller.carriers.plugin import Webhook
from services.poller.metrics import PollerMetrics
from services.poller.service import PollerService

log = logging.getLogger(__name__)


def router(
    service: PollerService,
    webhooks: dict[str, tuple[Webhook, SecretStr]],
    metrics: PollerMetrics,
) -> APIRouter:
    """An endpoint per carrier (by slug) with its webhook and credential, answering 200
    ``{"accepted": n}`` once the push is stored (0 for an unknown number)."""
    api = APIRouter(tags=["carrier push"])
    for carrier, (webhook, credential) in webhooks.items():
        api.add_api_route(
            webhook.path,
            _endpoint(service, carrier, webhook, credential, metrics),
            methods=["POST"],
            summary=webhook.summary,
            name=f"{carrier}_push",
        )
    return api


def _endpoint(
    service: PollerService,
    carrier: str,
    webhook: Webhook,
    credential: SecretStr,
    metrics: PollerMetrics,
) -> Callable[..., Awaitable[dict[str, int]]]:
    expected = credential.get_secret_value().encode()

    async def push(
        request: Request, given: str | None = Header(None, alias=webhook.credential_header)
    ) -> dict[str, int]:
        if given is None or not hmac.compare_digest(given.encode(), expected):
            metrics.webhook_calls.labels(carrier, "unauthorized").inc()
            raise HTTPException(401, f"missing or wrong {webhook.credential_header}")
        body = await request.body()
        parsed = webhook.parse(body)
        if parsed is None:
            metrics.webhook_calls.labels(carrier, "invalid").inc()
            log.warning("invalid push payload", extra={"carrier": carrier, "bytes": len(body)})
            raise HTTPException(400, webhook.invalid)
        accepted = await service.record_push(carrier, parsed, body)
        metrics.webhook_calls.labels(carrier, "accepted" if accepted else "unknown_number").inc()
        return {"accepted": accepted}

    return push
