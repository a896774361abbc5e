"""``notification.sent`` / ``notification.failed`` events, with deterministic ids. Pure."""

import hashlib
import re
from datetime import datetime
from typing import Any

from services.notifier.kinds import MessageKind
from services.notifier.spec import SPEC
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import NotificationFailed, NotificationSent

_IDENTIFIER = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_MAX_ERROR = 1000


def notification_id(dedup_key: str) -> str:
    """A stable public id of a notification (its dedup key, hashed: no address in it)."""
    return hashlib.sha256(dedup_key.encode()).hexdigest()[:32]


def _reference(event_id: str) -> str:
    """The trigger's event id, hashed if it is not a plain identifier."""
    if _IDENTIFIER.match(event_id):
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()[:40]


def _common(kind: MessageKind, dedup_key: str, order_id: str, trigger_id: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "notification_id": notification_id(dedup_key),
        "kind": kind.value,
        "audience": kind.audience,
        "channel": kind.channel,
        "trigger_event_id": _reference(trigger_id),
    }


def sent(
    kind: MessageKind,
    dedup_key: str,
    *,
    order_id: str,
    trigger_id: str,
    message_id: str,
    at: datetime,
) -> CloudEvent[NotificationSent]:
    data = NotificationSent(
        **_common(kind, dedup_key, order_id, trigger_id), message_id=message_id, sent_at=at
    )
    return new_event(data, SPEC.source, event_id=f"{data.notification_id}.sent", time=at)


def failed(
    kind: MessageKind,
    dedup_key: str,
    *,
    order_id: str,
    trigger_id: str,
    error: str,
    permanent: bool,
    at: datetime,
) -> CloudEvent[NotificationFailed]:
    data = NotificationFailed(
        **_common(kind, dedup_key, order_id, trigger_id),
        error=error[:_MAX_ERROR],
        permanent=permanent,
        failed_at=at,
    )
    return new_event(data, SPEC.source, event_id=f"{data.notification_id}.failed", time=at)
