"""When to poll a shipment next: a pure function of its state, the policy and the time.

- Each status has a base interval: often when out for delivery, rarely while waiting for
  pickup at an access point.
- While nothing new happens the interval grows with the quiet time
  (``quiet x backoff_ratio``), never beyond ``max_interval``.
- Delivered, returned and cancelled shipments are watched for ``watch_window`` (a late
  correction, a return after delivery) every ``watch_interval``, then never again.
- A shipment older than ``max_age`` is no longer polled.
- A number the carrier does not know yet keeps being polled for ``not_found_limit``;
  then it is given up as not found.
- After a failed call the shipment is retried after the carrier's ``Retry-After`` or
  ``retry_interval``.

Deadlines cap the next poll, so that each stop happens on time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.contracts.statuses import TrackingStatus

TERMINAL = frozenset(
    {TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.CANCELLED}
)
"""Statuses after which only the watch window remains."""


@dataclass(frozen=True)
class PollingPolicy:
    """Intervals of the scheduling policy (configurable through ``POLLER_…`` settings)."""

    pending: timedelta = timedelta(hours=1)
    """No scan yet (or only informational ones)."""
    label_created: timedelta = timedelta(hours=3)
    in_transit: timedelta = timedelta(hours=2)
    out_for_delivery: timedelta = timedelta(minutes=20)
    delivery_attempted: timedelta = timedelta(hours=1)
    available_for_pickup: timedelta = timedelta(hours=6)
    exception: timedelta = timedelta(hours=2)
    backoff_ratio: float = 0.25
    max_interval: timedelta = timedelta(hours=12)
    watch_interval: timedelta = timedelta(hours=12)
    watch_window: timedelta = timedelta(days=2)
    max_age: timedelta = timedelta(days=60)
    not_found_limit: timedelta = timedelta(days=5)
    retry_interval: timedelta = timedelta(minutes=5)
    time_scale: float = 1.0
    """Clock seconds per real second (``CLOCK_SCALE``): a ``Retry-After`` is real time."""

    def base(self, status: TrackingStatus | None) -> timedelta:
        """The interval for ``status`` before any backoff."""
        by_status = {
            TrackingStatus.LABEL_CREATED: self.label_created,
            TrackingStatus.IN_TRANSIT: self.in_transit,
            TrackingStatus.OUT_FOR_DELIVERY: self.out_for_delivery,
            TrackingStatus.DELIVERY_ATTEMPTED: self.delivery_attempted,
            TrackingStatus.AVAILABLE_FOR_PICKUP: self.available_for_pickup,
            TrackingStatus.EXCEPTION: self.exception,
        }
        return by_status.get(status, self.pending) if status is not None else self.pending


@dataclass(frozen=True)
class PollState:
    """What the policy needs to know about a shipment."""

    status: TrackingStatus | None
    tracked_since: datetime
    last_change_at: datetime
    """When something new was last seen (a new scan), or the registration."""
    terminal_at: datetime | None = None
    """When a terminal status was first seen."""
    not_found_since: datetime | None = None
    """First "not found" answer while no scan was ever seen."""


class StopReason(StrEnum):
    """Why a shipment is no longer polled."""

    WATCH_OVER = "watch_over"
    MAX_AGE = "max_age"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Schedule:
    """The next poll, or why there is none."""

    next_poll_at: datetime | None
    stop: StopReason | None = None


def next_poll(state: PollState, policy: PollingPolicy, now: datetime) -> Schedule:
    """When to poll next after a poll (or a push) answered at ``now``."""
    if state.status in TERMINAL and state.terminal_at is not None:
        end = state.terminal_at + policy.watch_window
        if now >= end:
            return Schedule(None, StopReason.WATCH_OVER)
        return Schedule(min(now + policy.watch_interval, end))
    stop = _deadline_passed(state, policy, now)
    if stop is not None:
        return Schedule(None, stop)
    quiet = max(now - state.last_change_at, timedelta(0))
    backoff = min(policy.max_interval, quiet * policy.backoff_ratio)
    interval = max(policy.base(state.status), backoff)
    return Schedule(min(now + interval, *_deadlines(state, policy)))


def after_failure(
    state: PollState, policy: PollingPolicy, now: datetime, retry_after: float | None
) -> Schedule:
    """When to try again after a call that failed: ``retry_after`` seconds if the carrier
    said, but never later than ``max_interval`` (a carrier's "come back in a year" is
    not taken literally)."""
    stop = _deadline_passed(state, policy, now)
    if stop is not None and stop is not StopReason.NOT_FOUND:
        return Schedule(None, stop)
    if retry_after is None:
        wait = policy.retry_interval
    else:
        wait = min(timedelta(seconds=retry_after * policy.time_scale), policy.max_interval)
    return Schedule(now + wait)


def _deadlines(state: PollState, policy: PollingPolicy) -> list[datetime]:
    deadlines = [state.tracked_since + policy.max_age]
    if state.not_found_since is not None:
        deadlines.append(state.not_found_since + policy.not_found_limit)
    return deadlines


def _deadline_passed(state: PollState, policy: PollingPolicy, now: datetime) -> StopReason | None:
    if now >= state.tracked_since + policy.max_age:
        return StopReason.MAX_AGE
    if state.not_found_since is not None and now >= state.not_found_since + policy.not_found_limit:
        return StopReason.NOT_FOUND
    return None
