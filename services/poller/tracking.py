"""What a registration or a carrier answer does to a shipment: pure, no I/O.

Each function takes the stored shipment and returns a :class:`Result`: the new state,
the scans never seen before (deduplicated by fingerprint), the events to publish (with
deterministic ids, so that a repeated write publishes nothing new) and the next poll.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from services.poller import scheduler
from services.poller.carriers.base import (
    CarrierDown,
    InvalidNumber,
    NotFound,
    ParsedShipment,
    RateLimited,
    Scan,
    TrackOutcome,
    sort_newest_first,
)
from services.poller.scheduler import PollingPolicy, PollState, Schedule, StopReason
from services.poller.tracking_numbers import TrackingNumbers, compact
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import (
    EventData,
    InvalidNumberReason,
    TrackingEvent,
    TrackingNumberInvalid,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus, advances

SOURCE = "parcelwatch/poller"


class Lifecycle(StrEnum):
    """Whether a shipment is still polled."""

    ACTIVE = "active"
    DONE = "done"
    """Terminal status seen and the watch window is over."""
    EXPIRED = "expired"
    """Older than the maximum age."""
    INVALID = "invalid"
    """Unknown carrier, invalid number, or never found."""


@dataclass(frozen=True)
class Shipment:
    """A tracked shipment as stored; ``generation`` counts its registrations."""

    shipment_id: str
    order_id: str
    carrier: str
    tracking_number: str
    generation: int
    tracked_since: datetime
    last_change_at: datetime
    lifecycle: Lifecycle = Lifecycle.ACTIVE
    status: TrackingStatus | None = None
    terminal_at: datetime | None = None
    not_found_since: datetime | None = None
    estimated_delivery: date | None = None
    delivered_at: datetime | None = None
    signed_by: str | None = None

    def poll_state(self) -> PollState:
        return PollState(
            status=self.status,
            tracked_since=self.tracked_since,
            last_change_at=self.last_change_at,
            terminal_at=self.terminal_at,
            not_found_since=self.not_found_since,
        )


@dataclass(frozen=True)
class NewScan:
    """A scan seen for the first time, with its dedup fingerprint."""

    fingerprint: str
    scan: Scan


@dataclass(frozen=True)
class Result:
    """The effects of one registration or carrier answer."""

    shipment: Shipment
    next_poll_at: datetime | None
    scans: tuple[NewScan, ...] = ()
    events: tuple[CloudEvent[Any], ...] = ()


def fingerprint(carrier: str, tracking_number: str, scan: Scan) -> str:
    """Identity of a carrier scan: carrier, number, the carrier's code and the scan time."""
    when = scan.occurred_at.isoformat() if scan.occurred_at else (scan.occurred_at_local or "")
    return _digest(carrier, tracking_number, scan.carrier_code, when)


def register(
    *,
    shipment_id: str,
    order_id: str,
    carrier: str,
    tracking_number: str,
    numbers: TrackingNumbers,
    skip_check_digits: bool,
    previous: Shipment | None,
    now: datetime,
) -> Result | None:
    """A (re-)registration; None when it names the number already tracked (a no-op).

    A new number or carrier replaces the previous one and starts from scratch (a new
    generation); an invalid one is kept, not polled, and announced once.
    """
    number = compact(tracking_number)
    if previous is not None and (previous.carrier, previous.tracking_number) == (carrier, number):
        return None
    shipment = Shipment(
        shipment_id=shipment_id,
        order_id=order_id,
        carrier=carrier,
        tracking_number=number,
        generation=previous.generation + 1 if previous else 1,
        tracked_since=now,
        last_change_at=now,
    )
    reason = _invalid_reason(carrier, number, numbers, skip_check_digits)
    if reason is None:
        return Result(shipment, next_poll_at=now)
    return _invalid(shipment, reason, _REASON_DETAIL[reason].format(carrier=carrier), now)


def answer(
    shipment: Shipment,
    outcome: TrackOutcome,
    known: frozenset[str],
    policy: PollingPolicy,
    now: datetime,
) -> Result:
    """What one carrier answer about the shipment's number (poll or push) does to it;
    ``known``: the fingerprints of the scans already stored."""
    if isinstance(outcome, ParsedShipment):
        return observe(shipment, outcome, known, policy, now)
    if isinstance(outcome, NotFound):
        return not_found(shipment, outcome.detail, policy, now)
    if isinstance(outcome, InvalidNumber):
        return rejected(shipment, outcome.detail, policy, now)
    retry_after = outcome.retry_after if isinstance(outcome, RateLimited | CarrierDown) else None
    return failed(shipment, retry_after, policy, now)


def observe(
    shipment: Shipment,
    parsed: ParsedShipment,
    known: frozenset[str],
    policy: PollingPolicy,
    now: datetime,
) -> Result:
    """A carrier answer (poll or push): publish new scans and status moves, reschedule.

    New scans are replayed oldest first, so a status moves the same way however the
    scans were batched; a late or out-of-order scan never moves it backwards
    (:func:`~shared.contracts.statuses.advances`).
    """
    fresh: dict[str, Scan] = {}
    for scan in parsed.events:
        key = fingerprint(shipment.carrier, shipment.tracking_number, scan)
        if key not in known:
            fresh.setdefault(key, scan)
    keys = {id(scan): key for key, scan in fresh.items()}
    ordered = tuple(
        NewScan(keys[id(scan)], scan) for scan in reversed(sort_newest_first(fresh.values()))
    )
    updated = replace(
        shipment,
        not_found_since=None,
        estimated_delivery=parsed.estimated_delivery or shipment.estimated_delivery,
        delivered_at=parsed.delivered_at or shipment.delivered_at,
        signed_by=parsed.signed_by or shipment.signed_by,
    )
    events: list[CloudEvent[Any]] = []
    for item in ordered:
        scanned = _tracking_event(updated, item, now)
        events.append(_event(updated, scanned, "scan", item.fingerprint))
        updated, moved = _move(updated, item.scan.status, item.scan, item.fingerprint, now)
        events.extend(moved)
    if all(scan.status is TrackingStatus.UNKNOWN for scan in parsed.events):
        # No scan says anything: the carrier's overall status is all there is.
        updated, moved = _move(updated, parsed.status, None, "carrier", now)
        events.extend(moved)
    if ordered:
        updated = replace(updated, last_change_at=now)
    return _scheduled(
        updated, scheduler.next_poll(updated.poll_state(), policy, now), ordered, events
    )


def not_found(shipment: Shipment, detail: str, policy: PollingPolicy, now: datetime) -> Result:
    """The carrier does not know the number: keep polling up to the not-found limit.

    Only counts while no scan was ever seen; a known parcel that vanishes (purged
    history) is treated like a failed call.
    """
    if shipment.status is not None:
        return failed(shipment, None, policy, now)
    updated = replace(shipment, not_found_since=shipment.not_found_since or now)
    schedule = scheduler.next_poll(updated.poll_state(), policy, now)
    if schedule.stop is StopReason.NOT_FOUND:
        return _invalid(updated, InvalidNumberReason.NOT_FOUND, detail, now)
    return _scheduled(updated, schedule)


def rejected(shipment: Shipment, detail: str, policy: PollingPolicy, now: datetime) -> Result:
    """The carrier says the number is invalid: stop, unless scans were already seen."""
    if shipment.status is not None:
        return failed(shipment, None, policy, now)
    return _invalid(shipment, InvalidNumberReason.REJECTED_BY_CARRIER, detail, now)


def failed(
    shipment: Shipment, retry_after: float | None, policy: PollingPolicy, now: datetime
) -> Result:
    """The call failed: try again later, nothing else changes."""
    return _scheduled(
        shipment, scheduler.after_failure(shipment.poll_state(), policy, now, retry_after)
    )


def _move(
    shipment: Shipment,
    status: TrackingStatus,
    cause: Scan | None,
    cause_id: str,
    now: datetime,
) -> tuple[Shipment, list[CloudEvent[Any]]]:
    """Move the derived status to ``status`` when it advances; the event it publishes."""
    previous = shipment.status
    if status is TrackingStatus.UNKNOWN or status == previous or not advances(previous, status):
        return shipment, []
    moved = replace(shipment, status=status)
    if status in scheduler.TERMINAL and shipment.terminal_at is None:
        moved = replace(moved, terminal_at=now)
    data = TrackingStatusChanged(
        order_id=shipment.order_id,
        shipment_id=shipment.shipment_id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        previous_status=previous,
        status=status,
        carrier_code=cause.carrier_code if cause else "",
        description=cause.description if cause else "",
        occurred_at=cause.occurred_at if cause else None,
        location=cause.location if cause else None,
        estimated_delivery=shipment.estimated_delivery,
        delivered_at=shipment.delivered_at,
        signed_by=shipment.signed_by,
    )
    return moved, [_event(shipment, data, "status", str(previous), status, cause_id)]


def _tracking_event(shipment: Shipment, item: NewScan, now: datetime) -> TrackingEvent:
    scan = item.scan
    return TrackingEvent(
        order_id=shipment.order_id,
        shipment_id=shipment.shipment_id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        fingerprint=item.fingerprint,
        status=scan.status,
        carrier_code=scan.carrier_code,
        description=scan.description,
        occurred_at=scan.occurred_at,
        occurred_at_local=scan.occurred_at_local,
        location=scan.location,
        observed_at=now,
    )


def _invalid(shipment: Shipment, reason: InvalidNumberReason, detail: str, now: datetime) -> Result:
    data = TrackingNumberInvalid(
        order_id=shipment.order_id,
        shipment_id=shipment.shipment_id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        reason=reason,
        detail=detail,
        detected_at=now,
    )
    return Result(
        replace(shipment, lifecycle=Lifecycle.INVALID),
        next_poll_at=None,
        events=(_event(shipment, data, "invalid"),),
    )


def _scheduled(
    shipment: Shipment,
    schedule: Schedule,
    scans: tuple[NewScan, ...] = (),
    events: list[CloudEvent[Any]] | None = None,
) -> Result:
    lifecycle = {
        None: Lifecycle.ACTIVE,
        StopReason.WATCH_OVER: Lifecycle.DONE,
        StopReason.MAX_AGE: Lifecycle.EXPIRED,
    }.get(schedule.stop, Lifecycle.INVALID)
    return Result(
        replace(shipment, lifecycle=lifecycle),
        next_poll_at=schedule.next_poll_at,
        scans=scans,
        events=tuple(events or ()),
    )


def _event(shipment: Shipment, data: EventData, *parts: str) -> CloudEvent[Any]:
    """Wrap ``data`` with an id derived from the shipment registration and ``parts``."""
    key = _digest(shipment.shipment_id, str(shipment.generation), *parts)
    return new_event(data, SOURCE, event_id=f"poller-{key}")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _invalid_reason(
    carrier: str, number: str, numbers: TrackingNumbers, skip_check_digits: bool
) -> InvalidNumberReason | None:
    reason = numbers.validate(carrier, number)
    if reason is InvalidNumberReason.CHECK_DIGIT and skip_check_digits:
        return None
    return reason


_REASON_DETAIL = {
    InvalidNumberReason.UNKNOWN_CARRIER: "unknown carrier {carrier!r}",
    InvalidNumberReason.FORMAT: "not a {carrier} tracking number format",
    InvalidNumberReason.CHECK_DIGIT: "the check digit does not match the {carrier} number",
}
