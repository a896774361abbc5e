"""The invariant "no customer message shows a deadline that has passed", checked on the text a
person reads (the renderer also refuses one: ``services.notifier.rendering.PastDeadline``)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from services.notifier.context import Recipient
from services.notifier.rendering import format_moment, formatting_locale, template_language
from shared.contracts.events import EventData


def _plain(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


DEADLINES = ("documents_due", "deadline", "promised_by")
"""Event fields that are deadlines: a date by which something must happen."""


def past_deadlines_shown(
    text: str, event: EventData, recipient: Recipient, now: datetime
) -> list[str]:
    """The invariant, checked on the text a person reads: every deadline of ``event`` that is
    not after ``now``, as it would be written for ``recipient`` (date and time, or the day
    alone), must not appear in ``text``. Returns the ones that do."""
    language = template_language(recipient.locale)
    locale = formatting_locale(recipient.locale, language)
    zone = ZoneInfo(recipient.time_zone)
    flat = _plain(text)
    shown = []
    for name in DEADLINES:
        value = getattr(event, name, None)
        if not isinstance(value, datetime) or value > now:
            continue
        day = value.astimezone(zone).date()
        written = {
            _plain(format_moment(value, locale, zone)),
            _plain(format_moment(value, locale, zone)).rsplit(",", 1)[0],
            f"{day:%B} {day.day}" if language == "en" else f"{day.day} ",
        }
        if any(form in flat for form in written if len(form) > 4):
            shown.append(f"{name}={value.isoformat()}")
    return shown
