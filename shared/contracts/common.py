"""Value types shared by event payloads."""

from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    validate_email,
)

_ZONES = frozenset(available_timezones())


def _known_zone(name: str) -> str:
    if name not in _ZONES:
        raise ValueError(f"unknown IANA time zone {name!r}")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - listed zones always load
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


@lru_cache(maxsize=65536)
def _checked_email(value: str) -> str:
    """Pydantic's ``EmailStr`` check, with its errors, remembered: it is most of the cost
    of decoding an order event, and the same addresses come event after event."""
    return validate_email(value)[1]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


TimeZoneName = Annotated[str, AfterValidator(_known_zone), Field(examples=["America/New_York"])]
"""An IANA time zone name such as ``Europe/Paris``."""

UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timestamp that must carry an offset; stored and emitted in UTC."""

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["US"])]
"""ISO 3166-1 alpha-2 country code, upper case."""

Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
"""An opaque id from another system: letters, digits and ``._:-``."""

CarrierSlug = Annotated[str, Field(pattern=r"^[a-z0-9_-]{2,32}$", examples=["ups"])]
"""Carrier slug. Known: ``ups``, ``fedex``, ``usps``, ``dhl``; others are refused by the poller."""

EmailAddress = Annotated[
    str, AfterValidator(_checked_email), WithJsonSchema({"type": "string", "format": "email"})
]
"""An e-mail address, checked as pydantic's ``EmailStr`` checks it."""

PlainText = Annotated[str, Field(min_length=1, max_length=500)]
"""Free text from another system (names, titles); never trusted as markup."""


class Carrier(StrEnum):
    """Carriers ParcelWatch tracks."""

    UPS = "ups"
    FEDEX = "fedex"
    USPS = "usps"
    DHL = "dhl"


class Contract(BaseModel):
    """Base of every payload model: immutable, strict about unknown fields' types."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


class Customer(Contract):
    id: Identifier
    email: EmailAddress
    name: PlainText
    given_name: PlainText | None = None
    """What to call the customer in a greeting ("Jamie"); ``name`` when absent."""
    locale: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en"
    time_zone: TimeZoneName
    country: CountryCode


class Seller(Contract):
    id: Identifier
    name: PlainText
    email: EmailAddress
    country: CountryCode
    subdivision: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    time_zone: TimeZoneName


class Item(Contract):
    sku: Identifier
    title: PlainText
    large: bool = False


class Location(Contract):
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
