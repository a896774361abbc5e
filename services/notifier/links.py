"""Tracking links, built only from per-carrier URL templates (settings)."""

from typing import Annotated
from urllib.parse import quote, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict

PLACEHOLDER = "{n}"


def _valid_template(template: str) -> str:
    parts = urlsplit(template)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("a tracking link template must be an absolute https URL")
    if template.count(PLACEHOLDER) != 1:
        raise ValueError(f"a tracking link template must contain {PLACEHOLDER} exactly once")
    return template


LinkTemplate = Annotated[str, AfterValidator(_valid_template)]


class LinkSettings(BaseModel):
    """URL template per carrier slug; ``{n}`` stands for the URL-encoded tracking number."""

    model_config = ConfigDict(frozen=True)

    templates: dict[str, LinkTemplate] = {
        "ups": "https://www.ups.com/track?loc=en_US&tracknum={n}",
        "fedex": "https://www.fedex.com/fedextrack/?trknbr={n}",
        "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
        "dhl": "https://www.dhl.com/us-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={n}",
    }


def tracking_link(carrier: str | None, number: str | None, settings: LinkSettings) -> str | None:
    """The carrier's tracking page for ``number``; ``None`` without a template or a number."""
    template = settings.templates.get(carrier) if carrier else None
    if template is None or not number or not number.strip():
        return None
    return template.replace(PLACEHOLDER, quote(number.strip(), safe=""))
