"""The notifier's read-only query API: the notifications of an order (no addresses)."""

from datetime import datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field, SecretStr

from services.notifier import queries
from services.notifier.headers import message_id
from services.notifier.kinds import MessageKind
from services.notifier.outcomes import notification_id
from shared.contracts.events import Audience, Channel
from shared.infra.api import Limit, Offset, Page, guarded, page

IdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]


class NotificationView(BaseModel):
    """One message to one recipient role; the address itself is never shown."""

    notification_id: str = Field(description="As in `notification.sent` / `.failed` events.")
    kind: MessageKind
    audience: Audience = Field(description="The recipient's role.")
    channel: Channel
    state: str = Field(description="`pending`, `sending`, `sent`, `failed` or `skipped`.")
    attempts: int
    created_at: datetime
    finished_at: datetime | None
    trigger_event_id: str
    trigger_type: str = Field(description="The event type that caused the message.")
    message_id: str | None = Field(
        description="The e-mail's Message-ID (or the chat post's id) once sent."
    )


def _view(row: dict[str, Any], domain: str) -> NotificationView:
    kind = MessageKind(row["kind"])
    sent_id = None
    if row["state"] == "sent":
        key = row["dedup_key"]
        sent_id = message_id(key, domain) if kind.channel is Channel.EMAIL else notification_id(key)
    return NotificationView(
        notification_id=notification_id(row["dedup_key"]),
        kind=kind,
        audience=kind.audience,
        channel=kind.channel,
        state=row["state"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        trigger_event_id=row["trigger_event_id"],
        trigger_type=row["trigger_type"],
        message_id=sent_id,
    )


def router(pool: asyncpg.Pool, message_id_domain: str, token: SecretStr | None) -> APIRouter:
    """The routes under ``/api/v1``, behind the bearer token when one is set."""
    api = APIRouter(prefix="/api/v1", tags=["query"], dependencies=guarded(token))

    @api.get(
        "/orders/{order_id}/notifications",
        summary="The notifications of an order, oldest first",
        responses={404: {"description": "Unknown order"}},
    )
    async def order_notifications(
        order_id: IdPath, limit: Limit = 50, offset: Offset = 0
    ) -> Page[NotificationView]:
        if not await queries.order_known(pool, order_id):
            raise HTTPException(404, "unknown order")
        rows = await queries.notifications(pool, order_id, limit=limit, offset=offset)
        return page([_view(r, message_id_domain) for r in rows], limit, offset)

    return api
