"""Carrier facts shown to people: display name, customer-service phone and contact page.

Phones are per carrier and customer country (settings); the help page's US numbers are the
US defaults. Where no number is known for the customer's country, messages link the
carrier's contact page instead of printing a US toll-free number.
"""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict

NAMES: dict[str, str] = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx", "dhl": "DHL Express"}


def _https(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("a carrier contact page must be an absolute https URL")
    return url


ContactPage = Annotated[str, AfterValidator(_https)]


class CarrierContactSettings(BaseModel):
    """``phones[carrier][country]`` and ``pages[carrier]``."""

    model_config = ConfigDict(frozen=True)

    phones: dict[str, dict[str, str]] = {
        "usps": {"US": "(800) 222-1811"},
        "ups": {"US": "(800) 742-5877"},
        "fedex": {"US": "(800) 463-3339"},
        "dhl": {"US": "(800) 225-5345"},
    }
    pages: dict[str, ContactPage] = {
        "usps": "https://www.usps.com/help/contact-us.htm",
        "ups": "https://www.ups.com/us/en/support/contact-us.page",
        "fedex": "https://www.fedex.com/en-us/customer-support.html",
        "dhl": "https://www.dhl.com/global-en/home/customer-service.html",
    }

    def merged(
        self, phones: dict[str, dict[str, str]], pages: dict[str, str]
    ) -> "CarrierContactSettings":
        """These defaults with ``phones`` (per country) and ``pages`` laid over them."""
        merged_phones = {slug: dict(numbers) for slug, numbers in self.phones.items()}
        for slug, numbers in phones.items():
            merged_phones.setdefault(slug, {}).update(numbers)
        return CarrierContactSettings(phones=merged_phones, pages={**self.pages, **pages})


@dataclass(frozen=True)
class CarrierContact:
    name: str
    phone: str | None
    """For the customer's country; ``None`` when none is known there."""
    page: str | None


def carrier_contact(
    slug: str | None, country: str, settings: CarrierContactSettings
) -> CarrierContact | None:
    """How a customer in ``country`` reaches the carrier; ``None`` for no carrier."""
    if not slug:
        return None
    return CarrierContact(
        name=NAMES.get(slug, slug),
        phone=settings.phones.get(slug, {}).get(country),
        page=settings.pages.get(slug),
    )
