from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from services.sla.calendar import UnknownCountry
from services.sla.marketplace import CalendarOverrides, Calendars
from services.sla.settings import SlaSettings


def test_settings_read_rules_one_at_a_time_and_marketplace_calendars_from_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLA_RULES__SHIP_CUTOFF_HOUR", "14")
    monkeypatch.setenv("SLA_RULES__ESCALATE_AFTER", "PT4H")
    monkeypatch.setenv("SLA_SWEEP_BATCH_SIZE", "200")
    monkeypatch.setenv("SLA_MARKETPLACE_CALENDARS", '{"us": {"extra_holidays": ["2026-11-27"]}}')
    settings = SlaSettings()
    assert settings.rules.ship_cutoff_hour == 14
    assert settings.rules.escalate_after == timedelta(hours=4)
    assert settings.rules.ship_business_days == 1
    assert settings.sweep_batch_size == 200
    assert settings.marketplace_calendars["us"].extra_holidays == {date(2026, 11, 27)}


def test_settings_refuse_an_unknown_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_RULES__SHIP_CUT_OFF", "14")
    with pytest.raises(ValidationError):
        SlaSettings()


def test_calendar_overrides_refuse_a_date_both_closed_and_open() -> None:
    with pytest.raises(ValidationError, match="2026-11-27"):
        CalendarOverrides(
            extra_holidays=frozenset({date(2026, 11, 27)}),
            extra_working_days=frozenset({date(2026, 11, 27)}),
        )


def test_calendars_apply_the_marketplace_overrides_to_the_seller_calendar() -> None:
    friday, thanksgiving = date(2026, 11, 27), date(2026, 11, 26)
    calendars = Calendars(
        {
            "us": CalendarOverrides(
                extra_holidays=frozenset({friday}), extra_working_days=frozenset({thanksgiving})
            )
        }
    )
    us = calendars.for_seller("US", "NY", "us")
    assert (us.is_business_day(friday), us.is_business_day(thanksgiving)) == (False, True)
    other = calendars.for_seller("US", "NY", "ca")
    assert (other.is_business_day(friday), other.is_business_day(thanksgiving)) == (True, False)
    assert calendars.for_seller("US", "NY", "us") is us


def test_calendars_refuse_a_country_without_holiday_calendar() -> None:
    with pytest.raises(UnknownCountry):
        Calendars().for_seller("ZZ", None, "us")
