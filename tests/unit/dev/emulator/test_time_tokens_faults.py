from datetime import UTC, datetime, timedelta

from parcelwatch.dev.emulator.faults import Fault, fault_for
from parcelwatch.dev.emulator.scenarios import Scenario
from parcelwatch.dev.emulator.tokens import TokenState, TokenStore
from shared.infra.clock import ScaledClock
from tests.support.clock import FakeClock

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def test_emulated_time_runs_scale_times_faster_from_the_origin() -> None:
    real = FakeClock(T0)
    clock = ScaledClock(3600, origin=T0, real=real)

    real.advance(timedelta(seconds=2.5))

    assert clock.now() == T0 + timedelta(hours=2, minutes=30)


def test_emulated_time_starts_at_the_real_time_by_default() -> None:
    real = FakeClock(T0)
    clock = ScaledClock(60, real=real)

    real.advance(timedelta(seconds=1))

    assert clock.now() == T0 + timedelta(minutes=1)


def test_a_token_lives_for_its_ttl_then_reads_as_expired() -> None:
    real = FakeClock(T0)
    tokens = TokenStore(60, real.now)
    token = tokens.issue("ups")

    assert tokens.state("ups", token) is TokenState.VALID
    assert tokens.state("fedex", token) is TokenState.UNKNOWN
    assert tokens.state("ups", None) is TokenState.UNKNOWN
    real.advance(timedelta(seconds=60))
    assert tokens.state("ups", token) is TokenState.EXPIRED


def test_expired_tokens_are_forgotten_after_another_ttl() -> None:
    real = FakeClock(T0)
    tokens = TokenStore(60, real.now)
    old = tokens.issue("usps")

    real.advance(timedelta(seconds=121))
    tokens.issue("usps")

    assert tokens.state("usps", old) is TokenState.UNKNOWN


def test_expire_ends_a_token_now() -> None:
    tokens = TokenStore(60, FakeClock(T0).now)
    token = tokens.issue("fedex")

    tokens.expire("fedex", token)

    assert tokens.state("fedex", token) is TokenState.EXPIRED


def test_fault_patterns_per_scenario() -> None:
    def pattern(scenario: Scenario) -> list[Fault | None]:
        return [fault_for(scenario, n) for n in range(1, 9)]

    limited, error, unavailable = Fault.RATE_LIMITED, Fault.SERVER_ERROR, Fault.UNAVAILABLE
    assert pattern(Scenario.RATE_LIMITED) == [limited] * 3 + [None] + [limited] * 3 + [None]
    assert pattern(Scenario.SERVER_ERROR) == [error, unavailable, None] * 2 + [error, unavailable]
    assert pattern(Scenario.EXPIRED_TOKEN) == [None, Fault.TOKEN_EXPIRED] * 4
    assert pattern(Scenario.LATE) == [None] * 8
