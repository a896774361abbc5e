"""Turn a rendered message into an ``EmailMessage``: multipart/alternative (text + HTML),
inside multipart/mixed when it carries attachments."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.notifier.context import Recipient
from services.notifier.headers import HOSTNAME_PATTERN, clean_header_text, mailbox, message_id
from services.notifier.rendering import RenderedMessage


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail."""

    filename: str
    content_type: str
    """``maintype/subtype``, e.g. ``application/pdf``."""
    data: bytes = field(repr=False)


class MailSettings(BaseModel):
    """Sender identity and the domain of generated Message-IDs."""

    model_config = ConfigDict(frozen=True)

    sender_address: EmailStr = "notifications@parcelwatch.example.com"
    sender_name: str = "ParcelWatch"
    message_id_domain: Annotated[str, Field(max_length=253, pattern=HOSTNAME_PATTERN)] = (
        "parcelwatch.invalid"
    )


def build_email(
    message: RenderedMessage,
    recipient: Recipient,
    dedup_key: str,
    settings: MailSettings,
    now: datetime,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The e-mail for ``recipient``; raises :class:`~.headers.InvalidAddress` on a bad address."""
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    email = EmailMessage()
    email["From"] = mailbox(settings.sender_name, settings.sender_address)
    email["To"] = mailbox(recipient.name, recipient.address)
    email["Subject"] = clean_header_text(message.subject)
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(dedup_key, settings.message_id_domain)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        email.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    email["Content-Language"] = message.language  # after the body: set_content drops Content-*
    return email
