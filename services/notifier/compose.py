"""Build what goes out for a claimed row: an e-mail or a chat payload. Pure."""

from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from services.notifier.carriers import NAMES, CarrierContactSettings
from services.notifier.chat import chat_payload
from services.notifier.context import MessageContext, OrderInfo, Recipient, recipient_for
from services.notifier.declaration import DeclarationFacts, render_declaration
from services.notifier.kinds import MessageKind
from services.notifier.links import LinkSettings
from services.notifier.mail import Attachment, MailSettings, build_email
from services.notifier.rendering import (
    Renderer,
    format_moment,
    formatting_locale,
    template_language,
)
from shared.contracts.events import EventData, SlaDeliveredDisputed

DECLARATION_FILENAME = {
    "en": "declaration-of-non-receipt.pdf",
    "fr": "declaration-de-non-reception.pdf",
}


class Composer:
    """Renders e-mails and chat payloads with one set of link, carrier and mail settings."""

    def __init__(
        self,
        links: LinkSettings,
        mail: MailSettings,
        contacts: CarrierContactSettings | None = None,
    ) -> None:
        self._links = links
        self._mail = mail
        self._renderer = Renderer(links, contacts)

    def email(
        self,
        kind: MessageKind,
        order: OrderInfo,
        event: EventData,
        dedup_key: str,
        now: datetime,
    ) -> EmailMessage:
        """The e-mail of ``kind``; raises :class:`~.headers.InvalidAddress` on a bad address
        and :class:`~.rendering.PastDeadline` if it would show a deadline already gone."""
        recipient = recipient_for(order, kind.audience)
        rendered = self._renderer.render(kind, MessageContext(order, event), recipient, now)
        return build_email(
            rendered,
            recipient,
            dedup_key,
            self._mail,
            now,
            attachments(kind, order, event, recipient),
        )

    def chat(self, kind: MessageKind, order: OrderInfo, event: EventData) -> dict[str, Any]:
        """The webhook payload of the operations alert ``kind``."""
        return chat_payload(kind, MessageContext(order, event), self._links)


def attachments(
    kind: MessageKind, order: OrderInfo, event: EventData, recipient: Recipient
) -> tuple[Attachment, ...]:
    """What goes with ``kind``: the customer's declaration of non-receipt with the dispute."""
    if kind is not MessageKind.CUSTOMER_DELIVERED_DISPUTED:
        return ()
    assert isinstance(event, SlaDeliveredDisputed)
    language = template_language(recipient.locale)
    facts = declaration_facts(order, event, recipient)
    return (
        Attachment(
            DECLARATION_FILENAME[language],
            "application/pdf",
            render_declaration(facts, recipient.locale),
        ),
    )


def declaration_facts(
    order: OrderInfo, event: SlaDeliveredDisputed, recipient: Recipient
) -> DeclarationFacts:
    """The order facts the declaration is pre-filled with, in the customer's locale and zone."""
    language = template_language(recipient.locale)
    delivered_at = ""
    if event.delivered_at is not None:
        delivered_at = format_moment(
            event.delivered_at,
            formatting_locale(recipient.locale, language),
            ZoneInfo(recipient.time_zone),
        )
    place = ", ".join(
        part
        for part in (
            event.delivery_description,
            f"signed by {event.signed_by}" if event.signed_by and language == "en" else None,
            f"signé par {event.signed_by}" if event.signed_by and language == "fr" else None,
        )
        if part
    )
    return DeclarationFacts(
        order_id=order.order_id,
        items=tuple(item.title for item in order.items),
        carrier=NAMES.get(event.carrier, event.carrier),
        tracking_number=event.tracking_number,
        delivered_at=delivered_at,
        delivered_place=place,
        customer_name=order.customer.name,
    )
