"""Tracking links, built only from per-carrier URL templates (settings)."""

import re
from typing import Annotated
from urllib.parse import quote, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict

PLACEHOLDER = "{n}"
LOCALE = "{locale}"
DHL_EXPRESS = "dhl_express"
"""Template key of DHL Express numbers, which have their own tracking page."""

_DHL_EXPRESS_NUMBER = re.compile(r"[0-9]{10,11}|J[A-Z]{2,3}[0-9]{9,10}")
"""DHL Express waybill and piece-id shapes (the poller checks them fully)."""


def _valid_template(template: str) -> str:
    parts = urlsplit(template)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("a tracking link template must be an absolute https URL")
    if template.count(PLACEHOLDER) != 1:
        raise ValueError(f"a tracking link template must contain {PLACEHOLDER} exactly once")
    if template.count(LOCALE) > 1:
        raise ValueError(f"a tracking link template may contain {LOCALE} once")
    return template


LinkTemplate = Annotated[str, AfterValidator(_valid_template)]


class LinkSettings(BaseModel):
    """URL template per carrier slug (and ``dhl_express``); ``{n}`` stands for the compact,
    URL-encoded tracking number, ``{locale}`` for the customer's locale (``fr_FR``)."""

    model_config = ConfigDict(frozen=True)

    templates: dict[str, LinkTemplate] = {
        "ups": "https://www.ups.com/track?loc={locale}&tracknum={n}",
        "fedex": "https://www.fedex.com/fedextrack/?trknbr={n}",
        "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
        "dhl": "https://www.dhl.com/us-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={n}",
        DHL_EXPRESS: "https://www.dhl.com/us-en/home/tracking/tracking-express.html?submit=1&tracking-id={n}",
    }


def compact(number: str) -> str:
    """The number as carriers' pages take it: no spaces."""
    return "".join(number.split())


def link_locale(locale: str, country: str) -> str:
    """``fr-CA`` -> ``fr_CA``; a bare language takes the customer's country: ``fr`` in FR ->
    ``fr_FR``."""
    language, _, region = locale.replace("_", "-").partition("-")
    return f"{language.lower()}_{(region or country).upper()}"


def tracking_link(
    carrier: str | None, number: str | None, settings: LinkSettings, locale: str = "en_US"
) -> str | None:
    """The carrier's tracking page for ``number``; ``None`` without a template or a number."""
    if not carrier or not number or not number.strip():
        return None
    number = compact(number)
    key = DHL_EXPRESS if carrier == "dhl" and _DHL_EXPRESS_NUMBER.fullmatch(number) else carrier
    template = settings.templates.get(key) or settings.templates.get(carrier)
    if template is None:
        return None
    return template.replace(LOCALE, quote(locale, safe="")).replace(
        PLACEHOLDER, quote(number, safe="")
    )
