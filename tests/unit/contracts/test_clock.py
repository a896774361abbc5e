"""The shared accelerated clock."""

from datetime import UTC, datetime, timedelta

import pytest

from parcelwatch.dev.emulator.settings import EmulatorSettings
from parcelwatch.dev.simulator.runner import SimulatorSettings
from services.poller.settings import PollerSettings
from services.sla.settings import SlaSettings
from shared.infra.clock import ClockSettings, ScaledClock, SystemClock
from tests.support.clock import FakeClock

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_scaled_clock_runs_faster_from_its_origin() -> None:
    real = FakeClock(T0 + timedelta(seconds=10))
    clock = ScaledClock(3600, origin=T0, real=real)
    assert clock.now() == T0 + timedelta(hours=10)
    real.advance(timedelta(seconds=1))
    assert clock.now() == T0 + timedelta(hours=11)


def test_two_processes_with_the_same_settings_agree() -> None:
    real = FakeClock(T0 + timedelta(minutes=5))
    a = ScaledClock(60, origin=T0, real=real)
    b = ScaledClock(60, origin=T0, real=real)
    assert a.now() == b.now() == T0 + timedelta(hours=5)


def test_settings_give_the_real_clock_at_scale_one() -> None:
    assert isinstance(ClockSettings(clock_scale=1).clock(), SystemClock)
    scaled = ClockSettings(clock_scale=10, clock_origin=T0).clock()
    assert isinstance(scaled, ScaledClock)
    assert scaled.origin == T0


def test_every_process_reads_the_same_clock_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOCK_SCALE", "3600")
    monkeypatch.setenv("CLOCK_ORIGIN", T0.isoformat())
    for settings in (EmulatorSettings(), SimulatorSettings(), PollerSettings(), SlaSettings()):
        assert settings.clock_scale == 3600
        assert settings.clock_origin == T0
