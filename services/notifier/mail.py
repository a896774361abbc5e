"""Turn a rendered message into the e-mail that goes out: multipart/alternative (text + HTML),
inside multipart/mixed when it carries attachments.

The MIME message is written once, as bytes, with CRLF line ends and only 7-bit data: both
parts in quoted-printable, attachments in base64, so any server takes it as is (no 8BITMIME,
no SMTPUTF8) and the SMTP client sends these bytes without flattening a message again. The
headers that carry people's text (From, To, Subject) are folded and RFC 2047-encoded by the
``email`` package's SMTP policy, as ``EmailMessage`` would; the others are ASCII by
construction. Boundaries start with ``=_``, which quoted-printable and base64 never produce,
and end differently (``_a``, ``_m``): neither is a prefix of the other.
"""

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.policy import SMTP
from email.utils import format_datetime
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.notifier.context import Recipient
from services.notifier.headers import (
    HOSTNAME_PATTERN,
    checked_address,
    clean_header_text,
    mailbox,
    message_id,
)
from services.notifier.rendering import RenderedMessage

CRLF = b"\r\n"
_LINE = 78
"""The line length the SMTP policy folds headers at."""
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
"""A MIME type part or a file name that needs no quoting nor encoding."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail."""

    filename: str
    content_type: str
    """``maintype/subtype``, e.g. ``application/pdf``."""
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Party:
    """A sender or recipient: display name (cleaned) and checked ASCII address."""

    name: str
    address: str = field(repr=False)


@dataclass(frozen=True)
class OutgoingEmail:
    """An e-mail ready to go: what an e-mail API takes, and the bytes SMTP sends."""

    sender: Party
    recipient: Party
    subject: str
    text: str
    """The plain-text part as sent (ending with a line break)."""
    html: str
    message_id: str
    headers: tuple[tuple[str, str], ...]
    """Identifying headers an e-mail API passes on: Message-ID, Auto-Submitted, Content-Language."""
    attachments: tuple[Attachment, ...] = field(repr=False)
    data: bytes = field(repr=False)
    """The whole RFC 5322 message."""


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
) -> OutgoingEmail:
    """The e-mail for ``recipient``; raises :class:`~.headers.InvalidAddress` on a bad address."""
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    sender, from_field = _mailbox_field("From", settings.sender_name, settings.sender_address)
    to, to_field = _mailbox_field("To", recipient.name, recipient.address)
    subject = clean_header_text(message.subject)
    identity = message_id(dedup_key, settings.message_id_domain)
    headers = (
        ("Message-ID", identity),
        ("Auto-Submitted", "auto-generated"),
        ("Content-Language", message.language),
    )
    text, html = _text_body(message.text), _text_body(message.html)
    boundary = "=_" + hashlib.sha256(dedup_key.encode()).hexdigest()[:40]
    parts = [_text_part("plain", text), _text_part("html", html)]
    content_type, body = _multipart("alternative", boundary + "_a", parts)
    if attachments:
        parts = [content_type + CRLF + body]
        parts += [_attachment_part(attachment) for attachment in attachments]
        content_type, body = _multipart("mixed", boundary + "_m", parts)
    data = b"".join(
        (
            from_field,
            to_field,
            SMTP.header_factory("Subject", subject).fold(policy=SMTP).encode("ascii"),
            f"Date: {format_datetime(now)}\r\n".encode("ascii"),
            *(f"{name}: {value}\r\n".encode("ascii") for name, value in headers[:2]),
            b"MIME-Version: 1.0\r\n",
            content_type,
            f"Content-Language: {message.language}\r\n\r\n".encode("ascii"),
            body,
        )
    )
    return OutgoingEmail(
        sender=sender,
        recipient=to,
        subject=subject,
        text=text,
        html=html,
        message_id=identity,
        headers=headers,
        attachments=tuple(attachments),
        data=data,
    )


_PLAIN_NAME = re.compile(r"[A-Za-z0-9]+(?:[ '-][A-Za-z0-9]+)*")
"""A display name the policy writes as it is: ASCII words, no specials, nothing to encode."""


@lru_cache(maxsize=4096)
def _mailbox_field(name: str, display_name: str, address: str) -> tuple[Party, bytes]:
    """The party and its folded header line; kept, as senders and recipients recur."""
    party = Party(clean_header_text(display_name), checked_address(address))
    line = f"{name}: {party.name} <{party.address}>"
    if _PLAIN_NAME.fullmatch(party.name) and len(line) <= _LINE:
        return party, f"{line}\r\n".encode("ascii")  # as the policy would write it
    folded = SMTP.header_factory(name, mailbox(display_name, address)).fold(policy=SMTP)
    return party, folded.encode("ascii")


def _text_body(text: str) -> str:
    """``text`` with ``\\n`` line ends and a final one, as a MIME text part carries it."""
    return "\n".join(text.splitlines()) + "\n"


def _text_part(subtype: str, text: str) -> bytes:
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", CRLF)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii") + encoded


def _attachment_part(attachment: Attachment) -> bytes:
    maintype, _, subtype = attachment.content_type.partition("/")
    if not all(_TOKEN.fullmatch(part) for part in (maintype, subtype, attachment.filename)):
        raise ValueError("attachment type and file name must be plain ASCII tokens")
    return (
        f"Content-Type: {maintype}/{subtype}\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{attachment.filename}"\r\n\r\n'
    ).encode("ascii") + base64.encodebytes(attachment.data).replace(b"\n", CRLF)


def _multipart(subtype: str, boundary: str, parts: Sequence[bytes]) -> tuple[bytes, bytes]:
    """A multipart entity: its Content-Type header line, and its body (the parts)."""
    delimiter = f"--{boundary}\r\n".encode("ascii")
    header = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n'.encode("ascii")
    body = b"".join(
        (*(delimiter + part + CRLF for part in parts), f"--{boundary}--\r\n".encode("ascii"))
    )
    return header, body
