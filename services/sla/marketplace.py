"""Seller calendars with the marketplace's own extra holidays and working days."""

from collections.abc import Mapping
from datetime import date

from pydantic import BaseModel, ConfigDict, model_validator

from services.sla.calendar import BusinessCalendar


class CalendarOverrides(BaseModel):
    """Dates a marketplace declares closed (``extra_holidays``) or open for shipping
    (``extra_working_days``) on top of the sellers' public holidays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    extra_holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    @model_validator(mode="after")
    def _disjoint(self) -> "CalendarOverrides":
        if both := sorted(self.extra_holidays & self.extra_working_days):
            dates = ", ".join(day.isoformat() for day in both)
            raise ValueError(f"dates both extra holidays and extra working days: {dates}")
        return self


class Calendars:
    """Builds (once) the business calendar of a seller on a marketplace.

    Raises :class:`~services.sla.calendar.UnknownCalendar` for a country or subdivision
    the ``holidays`` package does not know.
    """

    def __init__(self, overrides: Mapping[str, CalendarOverrides] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._built: dict[tuple[str, str | None, str], BusinessCalendar] = {}

    def for_seller(
        self, country: str, subdivision: str | None, marketplace: str
    ) -> BusinessCalendar:
        key = (country, subdivision, marketplace)
        calendar = self._built.get(key)
        if calendar is None:
            extra = self._overrides.get(marketplace, CalendarOverrides())
            calendar = BusinessCalendar(
                country, subdivision, extra.extra_holidays, extra.extra_working_days
            )
            self._built[key] = calendar
        return calendar
