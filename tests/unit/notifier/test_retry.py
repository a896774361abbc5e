from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.retry import RetryPolicy

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(initial=5, maximum=60, max_attempts=5, max_age=3600)


@pytest.mark.parametrize(
    ("attempts", "chance", "seconds"),
    [(1, 0.0, 2.5), (1, 0.999999, 5.0), (2, 0.0, 5.0), (3, 0.0, 10.0), (4, 0.0, 20.0)],
)
def test_backoff_doubles_with_jitter_between_half_and_all_of_it(
    attempts: int, chance: float, seconds: float
) -> None:
    at = POLICY.next_attempt(attempts=attempts, created_at=NOW, now=NOW, chance=chance)
    assert at is not None
    assert (at - NOW).total_seconds() == pytest.approx(seconds, abs=1e-4)


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(initial=5, maximum=60, max_attempts=50, max_age=10**6)
    at = policy.next_attempt(attempts=20, created_at=NOW, now=NOW, chance=0.999999)
    assert at is not None and (at - NOW).total_seconds() == pytest.approx(60, abs=1e-3)


def test_gives_up_after_max_attempts() -> None:
    assert POLICY.next_attempt(attempts=5, created_at=NOW, now=NOW, chance=0.5) is None


def test_gives_up_when_the_next_try_would_be_past_max_age() -> None:
    created = NOW - timedelta(seconds=3598)
    assert POLICY.next_attempt(attempts=1, created_at=created, now=NOW, chance=0.0) is None
    assert POLICY.next_attempt(attempts=1, created_at=NOW, now=NOW, chance=0.0) is not None
