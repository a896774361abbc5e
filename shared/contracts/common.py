"""Value types shared by event payloads."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

_ZONES = frozenset(available_timezones())


def _known_zone(name: str) -> str:
    if name not in _ZONES:
        raise ValueError(f"unknown IANA time zone {name!r}")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - listed zones always load
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


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
    email: EmailStr
    name: PlainText
    given_name: PlainText | None = None
    """What to call the customer in a greeting ("Jamie"); ``name`` when absent."""
    locale: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en"
    time_zone: TimeZoneName
    country: CountryCode


class Seller(Contract):
    id: Identifier
    name: PlainText
    email: EmailStr
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
