"""What registrations and carrier answers do to a shipment: dedup, status moves, events."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.poller.carriers.base import ParsedShipment, Scan
from services.poller.carriers.registry import tracking_numbers
from services.poller.scheduler import PollingPolicy
from services.poller.tracking import (
    Lifecycle,
    Result,
    Shipment,
    fingerprint,
    not_found,
    observe,
    register,
    rejected,
)
from shared.contracts.common import Location
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import InvalidNumberReason
from shared.contracts.statuses import TrackingStatus as S

NUMBER = "1Z5R89390357567127"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=80)
POLICY = PollingPolicy()
NUMBERS = tracking_numbers()


def _scan(status: S, hours: float, code: str = "", text: str = "") -> Scan:
    return Scan(
        status=status,
        carrier_code=code or f"code-{status.value}",
        description=text or status.value.replace("_", " "),
        occurred_at=T0 + timedelta(hours=hours),
        location=Location(city="Louisville", country="US"),
    )


LABEL = _scan(S.LABEL_CREATED, 0)
PICKUP = _scan(S.IN_TRANSIT, 6, "I/PU/005")
HUB = _scan(S.IN_TRANSIT, 30, "I/AR/005")
OUT = _scan(S.OUT_FOR_DELIVERY, 64)
DELIVERED = _scan(S.DELIVERED, 70)


def _answer(*scans: Scan, status: S | None = None, **kwargs: Any) -> ParsedShipment:
    newest = sorted(scans, key=lambda s: s.occurred_at or T0, reverse=True)
    return ParsedShipment(
        carrier="ups",
        tracking_number=NUMBER,
        status=status or (newest[0].status if newest else S.UNKNOWN),
        events=tuple(newest),
        **kwargs,
    )


def _shipment(**changes: Any) -> Shipment:
    shipment = Shipment(
        shipment_id="sh-1",
        order_id="o-1",
        carrier="ups",
        tracking_number=NUMBER,
        generation=1,
        tracked_since=T0,
        last_change_at=T0,
    )
    return replace(shipment, **changes)


def _types(result: Result) -> list[str]:
    return [e.type for e in result.events]


def _moves(events: tuple[CloudEvent[Any], ...]) -> list[tuple[str | None, str]]:
    return [
        (e.data.previous_status, e.data.status)
        for e in events
        if e.type == "tracking.status_changed"
    ]


def _replay(shipment: Shipment, *answers: ParsedShipment) -> tuple[Shipment, list[CloudEvent[Any]]]:
    """Apply answers in turn, remembering fingerprints as the store does."""
    known: set[str] = set()
    events: list[CloudEvent[Any]] = []
    for step, answer in enumerate(answers):
        result = observe(shipment, answer, frozenset(known), POLICY, NOW + timedelta(hours=step))
        known |= {s.fingerprint for s in result.scans}
        events += result.events
        shipment = result.shipment
    return shipment, events


def test_the_fingerprint_is_carrier_number_code_and_time_not_the_text() -> None:
    same = replace(PICKUP, description="Picked up (reworded)", location=None)
    assert fingerprint("ups", NUMBER, PICKUP) == fingerprint("ups", NUMBER, same)
    assert fingerprint("ups", NUMBER, PICKUP) != fingerprint("fedex", NUMBER, PICKUP)
    assert fingerprint("ups", NUMBER, PICKUP) != fingerprint("ups", "1Z0", PICKUP)
    assert fingerprint("ups", NUMBER, PICKUP) != fingerprint("ups", NUMBER, HUB)
    later = replace(PICKUP, occurred_at=T0 + timedelta(hours=7))
    assert fingerprint("ups", NUMBER, PICKUP) != fingerprint("ups", NUMBER, later)


def test_a_naive_local_time_takes_part_in_the_fingerprint() -> None:
    local = replace(PICKUP, occurred_at=None, occurred_at_local="2026-03-02T14:00:00")
    other = replace(local, occurred_at_local="2026-03-02T15:00:00")
    assert fingerprint("ups", NUMBER, local) != fingerprint("ups", NUMBER, other)


def test_new_scans_publish_events_oldest_first_each_followed_by_its_status_move() -> None:
    result = observe(_shipment(), _answer(LABEL, PICKUP, HUB), frozenset(), POLICY, NOW)
    assert _types(result) == [
        "tracking.event",
        "tracking.status_changed",
        "tracking.event",
        "tracking.status_changed",
        "tracking.event",
    ]
    assert [s.scan for s in result.scans] == [LABEL, PICKUP, HUB]
    assert _moves(result.events) == [(None, S.LABEL_CREATED), (S.LABEL_CREATED, S.IN_TRANSIT)]
    assert result.shipment.status is S.IN_TRANSIT
    assert result.shipment.last_change_at == NOW
    assert result.next_poll_at == NOW + POLICY.in_transit


def test_a_scan_already_known_is_not_published_again() -> None:
    first = observe(_shipment(), _answer(LABEL, PICKUP), frozenset(), POLICY, NOW)
    known = frozenset(s.fingerprint for s in first.scans)
    again = observe(first.shipment, _answer(LABEL, PICKUP), known, POLICY, NOW + timedelta(hours=2))
    assert again.events == () and again.scans == ()
    assert again.shipment.last_change_at == NOW


def test_a_scan_repeated_within_one_answer_is_published_once() -> None:
    result = observe(_shipment(), _answer(PICKUP, PICKUP), frozenset(), POLICY, NOW)
    assert _types(result) == ["tracking.event", "tracking.status_changed"]


def test_events_do_not_depend_on_how_scans_were_batched_into_answers() -> None:
    scans = [LABEL, PICKUP, HUB, OUT, DELIVERED]
    _, all_at_once = _replay(_shipment(), _answer(*scans))
    _, one_by_one = _replay(_shipment(), *(_answer(*scans[: i + 1]) for i in range(len(scans))))
    assert [e.id for e in all_at_once] == [e.id for e in one_by_one]
    assert len({e.id for e in all_at_once}) == len(all_at_once) == 9  # 5 scans, 4 moves


def test_a_late_older_scan_is_published_but_never_moves_the_status_back() -> None:
    first = observe(_shipment(), _answer(OUT), frozenset(), POLICY, NOW)
    known = frozenset(s.fingerprint for s in first.scans)
    result = observe(first.shipment, _answer(HUB, OUT), known, POLICY, NOW)
    assert result.shipment.status is S.OUT_FOR_DELIVERY
    assert [e.data.status for e in result.events if e.type == "tracking.event"] == [S.IN_TRANSIT]
    assert _moves(result.events) == []


@pytest.mark.parametrize(
    ("current", "new", "moves"),
    [
        (S.OUT_FOR_DELIVERY, S.EXCEPTION, True),
        (S.DELIVERED, S.RETURNED_TO_SENDER, True),
        (S.DELIVERED, S.EXCEPTION, False),
        (S.RETURNED_TO_SENDER, S.DELIVERED, False),
        (S.DELIVERY_ATTEMPTED, S.OUT_FOR_DELIVERY, True),
        (S.IN_TRANSIT, S.LABEL_CREATED, False),
    ],
)
def test_status_moves_follow_the_contract(current: S, new: S, moves: bool) -> None:
    result = observe(_shipment(status=current), _answer(_scan(new, 75)), frozenset(), POLICY, NOW)
    assert bool(_moves(result.events)) is moves
    assert result.shipment.status is (new if moves else current)


def test_informational_scans_are_published_without_a_status_move() -> None:
    info = _scan(S.UNKNOWN, 40, "U/UP/129", "Updated delivery date")
    result = observe(_shipment(status=S.IN_TRANSIT), _answer(info), frozenset(), POLICY, NOW)
    assert _types(result) == ["tracking.event"]
    assert result.shipment.status is S.IN_TRANSIT


def test_without_any_telling_scan_the_carriers_overall_status_counts() -> None:
    result = observe(_shipment(), _answer(status=S.IN_TRANSIT), frozenset(), POLICY, NOW)
    assert _moves(result.events) == [(None, S.IN_TRANSIT)]
    assert result.events[0].data.carrier_code == ""


def test_delivery_carries_its_details_and_starts_the_watch_window() -> None:
    delivered_at = T0 + timedelta(hours=70)
    answer = _answer(
        OUT,
        DELIVERED,
        estimated_delivery=date(2026, 3, 5),
        delivered_at=delivered_at,
        signed_by="K LEE",
    )
    result = observe(_shipment(status=S.IN_TRANSIT), answer, frozenset(), POLICY, NOW)
    change = [e.data for e in result.events if e.type == "tracking.status_changed"][-1]
    assert (change.status, change.delivered_at, change.signed_by) == (
        S.DELIVERED,
        delivered_at,
        "K LEE",
    )
    assert change.estimated_delivery == date(2026, 3, 5)
    assert result.shipment.terminal_at == NOW
    assert result.next_poll_at == NOW + POLICY.watch_interval


def test_the_watch_window_ending_finishes_the_shipment() -> None:
    shipment = _shipment(status=S.DELIVERED, terminal_at=NOW - POLICY.watch_window)
    result = observe(shipment, _answer(DELIVERED), frozenset(), POLICY, NOW)
    assert result.shipment.lifecycle is Lifecycle.DONE
    assert result.next_poll_at is None


def test_event_ids_are_deterministic_and_belong_to_one_registration() -> None:
    first = observe(_shipment(), _answer(LABEL, PICKUP), frozenset(), POLICY, NOW)
    again = observe(_shipment(), _answer(LABEL, PICKUP), frozenset(), POLICY, NOW + timedelta(1))
    other = observe(_shipment(generation=2), _answer(LABEL, PICKUP), frozenset(), POLICY, NOW)
    assert [e.id for e in first.events] == [e.id for e in again.events]
    assert not {e.id for e in first.events} & {e.id for e in other.events}


def _register(number: str = NUMBER, carrier: str = "ups", **kwargs: Any) -> Result | None:
    return register(
        shipment_id="sh-1",
        order_id="o-1",
        carrier=carrier,
        tracking_number=number,
        numbers=NUMBERS,
        skip_check_digits=kwargs.pop("skip_check_digits", False),
        previous=kwargs.pop("previous", None),
        now=T0,
    )


def test_a_valid_registration_is_polled_at_once() -> None:
    result = _register(" 1z5r8939 0357567127 ")
    assert result is not None
    assert result.shipment.tracking_number == NUMBER
    assert (result.shipment.generation, result.next_poll_at, result.events) == (1, T0, ())


def test_registering_the_same_number_again_is_a_no_op() -> None:
    assert _register(previous=_shipment(status=S.IN_TRANSIT)) is None


def test_a_new_number_replaces_the_old_one_and_starts_over() -> None:
    previous = _shipment(tracking_number="9400111206206406260787", carrier="usps", generation=3)
    result = _register(previous=replace(previous, status=S.IN_TRANSIT))
    assert result is not None
    assert (result.shipment.carrier, result.shipment.generation) == ("ups", 4)
    assert result.shipment.status is None


@pytest.mark.parametrize(
    ("carrier", "number", "reason"),
    [
        ("ups", "1Z5R89390357567128", InvalidNumberReason.CHECK_DIGIT),
        ("ups", "1Z5R8939", InvalidNumberReason.FORMAT),
        ("ontrac", NUMBER, InvalidNumberReason.UNKNOWN_CARRIER),
    ],
)
def test_an_invalid_registration_is_announced_and_never_polled(
    carrier: str, number: str, reason: InvalidNumberReason
) -> None:
    result = _register(number, carrier)
    assert result is not None
    assert result.shipment.lifecycle is Lifecycle.INVALID and result.next_poll_at is None
    [event] = result.events
    assert event.type == "tracking.number_invalid"
    assert (event.data.reason, event.data.carrier, event.subject) == (reason, carrier, "o-1")


def test_sandbox_mode_accepts_a_wrong_check_digit_but_not_a_wrong_format() -> None:
    accepted = _register("1Z5R89390357567128", skip_check_digits=True)
    assert accepted is not None and accepted.shipment.lifecycle is Lifecycle.ACTIVE
    refused = _register("1Z5R8939", skip_check_digits=True)
    assert refused is not None and refused.shipment.lifecycle is Lifecycle.INVALID


def test_not_found_keeps_polling_then_gives_up_once_with_reason_not_found() -> None:
    first = not_found(_shipment(last_change_at=NOW), "TW0001", POLICY, NOW)
    assert first.events == () and first.shipment.not_found_since == NOW
    assert first.next_poll_at == NOW + POLICY.pending
    late = NOW + POLICY.not_found_limit
    final = not_found(first.shipment, "TW0001", POLICY, late)
    assert final.shipment.lifecycle is Lifecycle.INVALID
    [event] = final.events
    assert (event.data.reason, event.data.detail) == (InvalidNumberReason.NOT_FOUND, "TW0001")


def test_a_found_answer_resets_the_not_found_clock() -> None:
    waiting = _shipment(not_found_since=NOW - timedelta(days=1))
    result = observe(waiting, _answer(LABEL), frozenset(), POLICY, NOW)
    assert result.shipment.not_found_since is None


def test_a_parcel_already_scanned_is_not_invalidated_by_not_found_or_rejection() -> None:
    scanned = _shipment(status=S.IN_TRANSIT, not_found_since=None)
    for result in (
        not_found(scanned, "purged", POLICY, NOW + POLICY.not_found_limit),
        rejected(scanned, "TV1002", POLICY, NOW),
    ):
        assert result.shipment.lifecycle is Lifecycle.ACTIVE and result.events == ()
        assert result.next_poll_at is not None


def test_a_number_the_carrier_rejects_is_announced_once_and_dropped() -> None:
    result = rejected(_shipment(), "TV1002 Invalid inquiry number", POLICY, NOW)
    assert result.shipment.lifecycle is Lifecycle.INVALID and result.next_poll_at is None
    assert result.events[0].data.reason is InvalidNumberReason.REJECTED_BY_CARRIER
