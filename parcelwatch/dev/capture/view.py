"""What the inbox shows of a raw message: summary, headers, text and HTML parts. Pure."""

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass(frozen=True)
class MessageView:
    name: str
    subject: str
    sender: str
    to: str
    date: str
    message_id: str
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None


def parse(name: str, raw: bytes) -> MessageView:
    """Decode a captured message; headers are decoded (RFC 2047) but never interpreted."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return MessageView(
        name=name,
        subject=str(message.get("Subject", "")),
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        date=str(message.get("Date", "")),
        message_id=str(message.get("Message-ID", "")),
        headers=[(key, str(value)) for key, value in message.items()],
        text=_content(text),
        html=_content(html),
    )


def _content(part: object) -> str | None:
    if not isinstance(part, EmailMessage):
        return None
    content = part.get_content()
    return content if isinstance(content, str) else None
