"""Build what goes out for a claimed row: an e-mail or a chat payload. Pure."""

from datetime import datetime
from email.message import EmailMessage
from typing import Any

from services.notifier.chat import chat_payload
from services.notifier.context import MessageContext, OrderInfo, recipient_for
from services.notifier.kinds import MessageKind
from services.notifier.links import LinkSettings
from services.notifier.mail import MailSettings, build_email
from services.notifier.rendering import Renderer
from shared.contracts.events import EventData


class Composer:
    """Renders e-mails and chat payloads with one set of link and mail settings."""

    def __init__(self, links: LinkSettings, mail: MailSettings) -> None:
        self._links = links
        self._mail = mail
        self._renderer = Renderer(links)

    def email(
        self,
        kind: MessageKind,
        order: OrderInfo,
        event: EventData,
        dedup_key: str,
        now: datetime,
    ) -> EmailMessage:
        """The e-mail of ``kind``; raises :class:`~.headers.InvalidAddress` on a bad address."""
        recipient = recipient_for(order, kind.audience)
        rendered = self._renderer.render(kind, MessageContext(order, event), recipient)
        return build_email(rendered, recipient, dedup_key, self._mail, now)

    def chat(self, kind: MessageKind, order: OrderInfo, event: EventData) -> dict[str, Any]:
        """The webhook payload of the operations alert ``kind``."""
        return chat_payload(kind, MessageContext(order, event), self._links)
