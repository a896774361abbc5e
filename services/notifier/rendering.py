"""Render a message kind for one recipient: subject, plain text and HTML.

Each message and locale is one template, ``templates/<lang>/<kind>.jinja``, with the
blocks ``subject``, ``preheader``, ``heading`` and ``body``. It is rendered twice: by
an autoescaping environment into the HTML layout, and by a plain one into the text
layout; the ``m`` macros it calls exist in both flavours.

Deadlines go through the ``deadline`` filter, which refuses one that is not after the
moment of rendering (:class:`PastDeadline`): no message ever asks for something by a date
already gone. Templates that may meet a passed deadline test it first (``is upcoming``).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format, get_timezone_name
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from services.notifier.carriers import CarrierContactSettings, carrier_contact
from services.notifier.context import MessageContext, Recipient
from services.notifier.kinds import TRIGGERS, MessageKind
from services.notifier.links import LinkSettings, link_locale, tracking_link
from shared.contracts.events import Channel

LANGUAGES = ("en", "fr")
"""Languages with a complete set of templates; the first is the fallback."""


class PastDeadline(ValueError):
    """A message would show a deadline that is not in the future: a wrong message."""


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready to become an e-mail; ``language`` is the template language used."""

    kind: MessageKind
    language: str
    subject: str
    text: str
    html: str


def template_language(locale: str) -> str:
    """``fr-CA`` -> ``fr``; a language without templates falls back to English."""
    language = re.split(r"[-_]", locale, maxsplit=1)[0].lower()
    return language if language in LANGUAGES else LANGUAGES[0]


def formatting_locale(locale: str, language: str) -> Locale:
    """The babel locale for dates: the recipient's own when it speaks ``language``."""
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language)
    return parsed if parsed.language == language else Locale.parse(language)


class Renderer:
    """Renders messages from the packaged templates. Build once, reuse."""

    def __init__(self, links: LinkSettings, contacts: CarrierContactSettings | None = None) -> None:
        self._links = links
        self._contacts = contacts or CarrierContactSettings()
        self._html = _environment(autoescape=True)
        self._text = _environment(autoescape=False)

    def render(
        self, kind: MessageKind, context: MessageContext, recipient: Recipient, now: datetime
    ) -> RenderedMessage:
        """Render ``kind`` about ``context`` at ``now`` in the recipient's language and time
        zone; raises :class:`PastDeadline` if it would show a deadline not after ``now``."""
        if kind.channel is not Channel.EMAIL:
            raise ValueError(f"{kind} is not an e-mail")
        if not isinstance(context.event, TRIGGERS[kind]):
            raise TypeError(f"{kind} is rendered from {TRIGGERS[kind].event_type} events")
        if now.tzinfo is None:
            raise ValueError("now must carry a time zone")
        language = template_language(recipient.locale)
        variables = self._variables(context, recipient, language) | {"now": now}
        name = f"{language}/{kind}.jinja"
        text_template = self._text.get_template(name)
        subject = "".join(text_template.blocks["subject"](text_template.new_context(variables)))
        text = text_template.render(
            variables, base="_text.jinja", m=self._macros("text", variables)
        )
        html = self._html.get_template(name).render(
            variables, base="_html.jinja", m=self._macros("html", variables)
        )
        return RenderedMessage(kind, language, " ".join(subject.split()), _tidy(text), html)

    def _variables(
        self, context: MessageContext, recipient: Recipient, language: str
    ) -> dict[str, Any]:
        event = context.event
        order = context.order
        slug = getattr(event, "carrier", None)
        number = getattr(event, "tracking_number", None)
        country = (
            order.customer.country if recipient.audience == "customer" else order.seller.country
        )
        contact = carrier_contact(slug, country, self._contacts)
        locale = link_locale(order.customer.locale, order.customer.country)
        return {
            "order": order,
            "event": event,
            "items": [item.title for item in order.items],
            "large": any(item.large for item in order.items),
            "recipient": recipient,
            "greeting_name": order.customer.given_name or order.customer.name
            if recipient.audience == "customer"
            else recipient.name,
            "carrier_name": contact.name if contact else slug,
            "carrier_phone": contact.phone if contact else None,
            "carrier_page": contact.page if contact else None,
            "tracking_number": number,
            "tracking_link": tracking_link(slug, number, self._links, locale),
            "labels": self._text.get_template(f"{language}/_labels.jinja").module,
            "lang": language,
            "date_locale": formatting_locale(recipient.locale, language),
            "time_zone": ZoneInfo(recipient.time_zone),
        }

    def _macros(self, flavour: str, variables: dict[str, Any]) -> Any:
        environment = self._html if flavour == "html" else self._text
        template = environment.get_template(f"_macros_{flavour}.jinja")
        return template.make_module({"colon": variables["labels"].colon})


def _environment(*, autoescape: bool) -> Environment:
    # The plain-text flavour is never interpreted as HTML, so it must not be escaped.
    environment = Environment(
        loader=PackageLoader("services.notifier", "templates"),
        autoescape=autoescape,  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        date=_format_date,
        datetime=_format_datetime,
        deadline=_format_deadline,
        squash=_squash,
        lookup=_lookup,
    )
    environment.tests.update(upcoming=_upcoming)
    return environment


@pass_context
def _format_date(context: Context, value: date | None) -> str | None:
    """A date in the recipient's locale (a moment: its day in the recipient's time zone)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(context["time_zone"]).date()
    return format_date(value, "full", locale=context["date_locale"])


@pass_context
def _format_datetime(context: Context, value: datetime | None) -> str | None:
    """A moment in the recipient's time zone and locale, zone named; ``None`` stays ``None``."""
    if value is None:
        return None
    return format_moment(value, context["date_locale"], context["time_zone"])


def format_moment(value: datetime, locale: Locale, zone: ZoneInfo) -> str:
    """``Friday, March 7, 2025 at 1:31 PM CST`` in ``locale``, at its time in ``zone``."""
    local = value.astimezone(zone)
    name = get_timezone_name(local, width="short", locale=locale)
    if any(char.isdigit() for char in name):
        name = get_timezone_name(local, width="long", locale=locale)
    pattern = str(get_datetime_format("long", locale=locale)).replace("'", "")
    day = format_date(local, "full", locale=locale)
    return f"{pattern.format(format_time(local, 'short', locale=locale), day)} {name}"


@pass_context
def _format_deadline(context: Context, value: datetime) -> str:
    """A deadline, as ``datetime`` does; refused when it is not after the rendering moment."""
    if not _upcoming(value, context["now"]):
        raise PastDeadline(f"deadline {value.isoformat()} is not after {context['now']}")
    return format_moment(value, context["date_locale"], context["time_zone"])


def _upcoming(value: datetime | None, now: datetime) -> bool:
    """``value is upcoming(now)``: a deadline still ahead."""
    return value is not None and value > now


def _lookup(key: str, table: dict[str, str]) -> str:
    """``key`` in ``table``, for ``map("lookup", labels.document)``."""
    return table[key]


def _squash(value: str) -> str:
    """Collapse ASCII whitespace only: no-break spaces (as in times) stay."""
    return re.sub(r"[ \t\r\n]+", " ", value).strip()


def _tidy(text: str) -> str:
    lines = (line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
