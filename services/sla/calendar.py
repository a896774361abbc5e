"""Business days of a seller: Monday to Friday, minus public holidays, with overrides."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

import holidays


class UnknownCalendar(ValueError):
    """The ``holidays`` package has no calendar for this country or subdivision."""


class UnknownCountry(UnknownCalendar):
    """Not a country code the ``holidays`` package knows."""


class UnknownSubdivision(UnknownCalendar):
    """Not a subdivision of the country that the ``holidays`` package knows."""


@cache
def _supported() -> dict[str, list[str]]:
    return holidays.list_supported_countries()


def load_calendars() -> None:
    """Load the ``holidays`` package's calendars now: the first use imports every country's
    module (half a second, seconds on a busy machine), which the service does at start,
    not on its first order event."""
    _supported()


@lru_cache(maxsize=4096)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Monday to Friday except public holidays of ``country`` (and ``subdivision``).

    A marketplace may declare ``extra_holidays`` (never business days) and
    ``extra_working_days`` (always business days, even on a weekend or a public holiday).
    Holidays are computed once per country, subdivision and year.
    """

    country: str
    subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        subdivisions = _supported().get(self.country)
        if subdivisions is None:
            raise UnknownCountry(f"unknown country {self.country!r}: no holiday calendar for it")
        if self.subdivision is not None and self.subdivision not in subdivisions:
            raise UnknownSubdivision(
                f"unknown subdivision {self.subdivision!r} of country {self.country!r}"
            )
        both = sorted(self.extra_holidays & self.extra_working_days)
        if both:
            dates = ", ".join(day.isoformat() for day in both)
            raise ValueError(f"dates both extra holidays and extra working days: {dates}")

    def is_business_day(self, day: date) -> bool:
        """Whether sellers ship on ``day``."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays or day.weekday() >= 5:
            return False
        return day not in _public_holidays(self.country, self.subdivision, day.year)

    def add_business_days(self, day: date, count: int) -> date:
        """The ``count``-th business day after ``day`` (before it if negative; ``day`` if 0)."""
        step = timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return day
