"""The scheduling policy: status-aware intervals, backoff, watch window, stops."""

from datetime import UTC, datetime, timedelta

import pytest

from services.poller.scheduler import (
    PollingPolicy,
    PollState,
    Schedule,
    StopReason,
    after_failure,
    next_poll,
)
from shared.contracts.statuses import TrackingStatus

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
POLICY = PollingPolicy()
H = timedelta(hours=1)


NOW = T0 + timedelta(days=1)


def _state(
    status: TrackingStatus | None,
    *,
    quiet: timedelta = timedelta(0),
    tracked_since: datetime = T0,
    terminal_at: datetime | None = None,
    not_found_since: datetime | None = None,
) -> PollState:
    return PollState(
        status=status,
        tracked_since=tracked_since,
        last_change_at=NOW - quiet,
        terminal_at=terminal_at,
        not_found_since=not_found_since,
    )


def _interval(state: PollState) -> timedelta:
    when = next_poll(state, POLICY, NOW).next_poll_at
    assert when is not None
    return when - NOW


@pytest.mark.parametrize(
    ("status", "interval"),
    [
        (None, POLICY.pending),
        (TrackingStatus.UNKNOWN, POLICY.pending),
        (TrackingStatus.LABEL_CREATED, POLICY.label_created),
        (TrackingStatus.IN_TRANSIT, POLICY.in_transit),
        (TrackingStatus.OUT_FOR_DELIVERY, POLICY.out_for_delivery),
        (TrackingStatus.DELIVERY_ATTEMPTED, POLICY.delivery_attempted),
        (TrackingStatus.AVAILABLE_FOR_PICKUP, POLICY.available_for_pickup),
        (TrackingStatus.EXCEPTION, POLICY.exception),
    ],
)
def test_each_status_has_its_base_interval_right_after_a_change(
    status: TrackingStatus | None, interval: timedelta
) -> None:
    assert next_poll(_state(status), POLICY, NOW) == Schedule(NOW + interval)


def test_out_for_delivery_is_polled_more_often_than_pickup_waits() -> None:
    assert POLICY.out_for_delivery < POLICY.in_transit < POLICY.available_for_pickup


def test_interval_backs_off_with_quiet_time_up_to_the_cap() -> None:
    intervals = [
        _interval(_state(TrackingStatus.IN_TRANSIT, quiet=quiet))
        for quiet in (timedelta(0), 12 * H, 24 * H, 20 * 24 * H)
    ]
    assert intervals == [POLICY.in_transit, 3 * H, 6 * H, POLICY.max_interval]


def test_delivered_is_watched_until_the_window_ends_then_never_polled() -> None:
    delivered = NOW - timedelta(days=1)
    state = _state(TrackingStatus.DELIVERED, terminal_at=delivered)
    assert next_poll(state, POLICY, NOW) == Schedule(NOW + POLICY.watch_interval)
    late = delivered + POLICY.watch_window - 2 * H
    assert next_poll(state, POLICY, late) == Schedule(delivered + POLICY.watch_window)
    end = delivered + POLICY.watch_window
    assert next_poll(state, POLICY, end) == Schedule(None, StopReason.WATCH_OVER)


@pytest.mark.parametrize("status", [TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.CANCELLED])
def test_returned_and_cancelled_end_like_delivered(status: TrackingStatus) -> None:
    state = _state(status, terminal_at=NOW - POLICY.watch_window)
    assert next_poll(state, POLICY, NOW) == Schedule(None, StopReason.WATCH_OVER)


def test_polling_stops_at_the_maximum_age_and_the_last_poll_lands_on_it() -> None:
    since = NOW - POLICY.max_age + 30 * timedelta(minutes=1)
    state = _state(TrackingStatus.IN_TRANSIT, tracked_since=since, quiet=10 * H)
    assert next_poll(state, POLICY, NOW) == Schedule(since + POLICY.max_age)
    assert next_poll(state, POLICY, since + POLICY.max_age) == Schedule(None, StopReason.MAX_AGE)


def test_not_found_keeps_polling_until_the_limit() -> None:
    since = NOW - POLICY.not_found_limit + 10 * timedelta(minutes=1)
    state = _state(None, not_found_since=since)
    assert next_poll(state, POLICY, NOW) == Schedule(since + POLICY.not_found_limit)
    stop = since + POLICY.not_found_limit
    assert next_poll(state, POLICY, stop) == Schedule(None, StopReason.NOT_FOUND)


def test_a_failed_call_retries_after_retry_after_or_the_retry_interval() -> None:
    state = _state(TrackingStatus.IN_TRANSIT)
    assert after_failure(state, POLICY, NOW, 30.0) == Schedule(NOW + timedelta(seconds=30))
    assert after_failure(state, POLICY, NOW, None) == Schedule(NOW + POLICY.retry_interval)


def test_a_failed_call_after_the_maximum_age_stops_polling() -> None:
    state = _state(TrackingStatus.IN_TRANSIT, tracked_since=NOW - POLICY.max_age)
    assert after_failure(state, POLICY, NOW, None) == Schedule(None, StopReason.MAX_AGE)


def test_a_failed_call_never_gives_a_number_up_as_not_found() -> None:
    state = _state(None, not_found_since=NOW - POLICY.not_found_limit)
    assert after_failure(state, POLICY, NOW, None) == Schedule(NOW + POLICY.retry_interval)


def test_retry_after_is_real_time_scaled_to_the_clock() -> None:
    fast = PollingPolicy(time_scale=3600.0)
    state = _state(TrackingStatus.IN_TRANSIT)
    assert after_failure(state, fast, NOW, 2.0) == Schedule(NOW + timedelta(hours=2))
