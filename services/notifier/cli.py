"""``parcelwatch notify``: preview messages rendered from built-in sample data."""

import json
from typing import Literal

import click

from services.notifier.chat import chat_payload
from services.notifier.compose import Composer
from services.notifier.context import recipient_for
from services.notifier.kinds import MessageKind
from services.notifier.links import LinkSettings
from services.notifier.mail import MailSettings
from services.notifier.rendering import Renderer
from services.notifier.routing import dedup_key
from services.notifier.samples import sample_context, sample_now

_USAGE_ERROR = 2


@click.group()
def notify() -> None:
    """Notifier tools."""


@notify.command()
@click.argument("kind")
@click.option(
    "--locale", default="en", show_default=True, help="Recipient locale, e.g. fr or fr-CA."
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "html", "eml"]),
    default="text",
    show_default=True,
    help="Plain-text part (with its subject), HTML part, or the whole MIME message as sent "
    "(headers, both parts, attachments). Chat alerts always print JSON.",
)
def preview(kind: str, locale: str, output: Literal["text", "html", "eml"]) -> None:
    """Render message KIND from sample data to stdout (e.g. customer_shipped)."""
    try:
        message_kind = MessageKind(kind)
    except ValueError:
        known = ", ".join(MessageKind)
        click.echo(f"Error: unknown kind {kind!r}; known kinds: {known}", err=True)
        raise SystemExit(_USAGE_ERROR) from None
    links = LinkSettings()
    try:
        context = sample_context(message_kind, locale)
    except ValueError:
        click.echo(f"Error: invalid locale {locale!r}; expected e.g. en, fr or fr-CA", err=True)
        raise SystemExit(_USAGE_ERROR) from None
    if message_kind.audience == "ops":
        click.echo(json.dumps(chat_payload(message_kind, context, links), indent=2))
        return
    now = sample_now(context.event)
    recipient = recipient_for(context.order, message_kind.audience)
    if output == "eml":
        key = dedup_key(context.order.order_id, message_kind, recipient)
        email = Composer(links, MailSettings()).email(
            message_kind, context.order, context.event, key, now
        )
        click.echo(email.as_string(), nl=False)
        return
    rendered = Renderer(links).render(message_kind, context, recipient, now)
    if output == "html":
        click.echo(rendered.html, nl=False)
    else:
        click.echo(f"Subject: {rendered.subject}\n\n{rendered.text}", nl=False)
