"""Each scripted lifecycle, rendered per carrier, parses with the project's own mappers."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parcelwatch.dev.emulator.lifecycle import SCRIPTS, Journey, journey
from parcelwatch.dev.emulator.render import dhl, fedex, ups, usps
from parcelwatch.dev.emulator.scenarios import CARRIERS, Scenario, number_for
from services.poller.carriers.base import ParsedShipment, ProblemCode
from services.poller.carriers.registry import registry
from shared.contracts.statuses import TrackingStatus as S

START = datetime(2024, 5, 6, 15, 30, tzinfo=UTC)
DELIVERED = [S.LABEL_CREATED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]

EXPECTED: dict[Scenario, list[S]] = {
    Scenario.ON_TIME: DELIVERED,
    Scenario.LATE: DELIVERED,
    Scenario.LABEL_ONLY: [S.LABEL_CREATED],
    Scenario.STALLED: [S.LABEL_CREATED, S.IN_TRANSIT],
    Scenario.LOST: [S.LABEL_CREATED, S.IN_TRANSIT, S.EXCEPTION],
    Scenario.DAMAGED: [S.LABEL_CREATED, S.IN_TRANSIT, S.EXCEPTION],
    Scenario.DISPUTED: DELIVERED,
    Scenario.EXCEPTION_THEN_DELIVERED: [
        S.LABEL_CREATED, S.IN_TRANSIT, S.EXCEPTION, S.OUT_FOR_DELIVERY, S.DELIVERED,
    ],
    Scenario.RETURNED: [S.LABEL_CREATED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.RETURNED_TO_SENDER],
    Scenario.PICKUP: [S.LABEL_CREATED, S.IN_TRANSIT, S.AVAILABLE_FOR_PICKUP, S.DELIVERED],
    Scenario.RATE_LIMITED: DELIVERED,
    Scenario.SERVER_ERROR: DELIVERED,
    Scenario.SLOW: DELIVERED,
    Scenario.EXPIRED_TOKEN: DELIVERED,
    Scenario.ATTEMPTED_THEN_DELIVERED: [
        S.LABEL_CREATED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED,
        S.OUT_FOR_DELIVERY, S.DELIVERED,
    ],
    Scenario.RETURNED_AFTER_ATTEMPT: [
        S.LABEL_CREATED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED,
        S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED, S.RETURNED_TO_SENDER,
    ],
    Scenario.REDIRECTED_TO_PICKUP: [
        S.LABEL_CREATED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED,
        S.AVAILABLE_FOR_PICKUP, S.DELIVERED,
    ],
    Scenario.REATTEMPTED: [
        S.LABEL_CREATED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED,
        S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED, S.OUT_FOR_DELIVERY, S.DELIVERED,
    ],
}  # fmt: skip
"""Normalized statuses, in order, of every scenario whose carrier knows the number."""

SIGNERS = {
    Scenario.ON_TIME: "K LEE",
    Scenario.DISPUTED: None,
    Scenario.PICKUP: "R PATEL",
    Scenario.ATTEMPTED_THEN_DELIVERED: "K LEE",
    Scenario.REDIRECTED_TO_PICKUP: "R PATEL",
    Scenario.REATTEMPTED: "K LEE",
}


def body(carrier: str, number: str, seen: Journey) -> Any:
    """What the emulator's tracking route answers with for a known number."""
    if carrier == "ups":
        return ups.track_response(number, seen)
    if carrier == "fedex":
        return fedex.track_response([fedex.complete_result(number, seen)])
    if carrier == "usps":
        return usps.tracking_response(number, seen, detail=True)
    return dhl.track_response(number, seen)


def parsed(carrier: str, scenario: Scenario, hours: float) -> ParsedShipment:
    number = number_for(carrier, scenario, 1)
    seen = journey(scenario, START, START + timedelta(hours=hours))
    [result] = registry()[carrier].parse(body(carrier, number, seen), [number])  # type: ignore[misc]
    assert isinstance(result, ParsedShipment)
    assert result.tracking_number == number
    return result


def status_sequence(carrier: str, scenario: Scenario) -> list[S]:
    """Poll right at every scripted scan and a week after the last; keep status changes."""
    hours = [stop.hours for stop in SCRIPTS[scenario].stops] + [24 * 14]
    sequence: list[S] = []
    for hour in hours:
        status = parsed(carrier, scenario, hour).status
        if not sequence or sequence[-1] is not status:
            sequence.append(status)
    return sequence


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_lifecycle_parses_into_its_status_sequence(carrier: str, scenario: Scenario) -> None:
    assert status_sequence(carrier, scenario) == EXPECTED[scenario]


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_every_scan_maps_to_a_known_code_and_time(carrier: str, scenario: Scenario) -> None:
    result = parsed(carrier, scenario, 24 * 14)

    unexpected = {ProblemCode.NAIVE_TIME} if carrier == "dhl" else set()
    assert {p.code for p in result.problems} <= unexpected
    assert len(result.events) == len(SCRIPTS[scenario].stops)
    assert all(e.status is not S.UNKNOWN and e.location is not None for e in result.events)


@pytest.mark.parametrize("carrier", ["ups", "fedex", "usps"])
def test_scan_times_are_aware_utc_at_the_scripted_instants(carrier: str) -> None:
    result = parsed(carrier, Scenario.ON_TIME, 24 * 14)

    expected = [START + timedelta(hours=s.hours) for s in SCRIPTS[Scenario.ON_TIME].stops]
    assert [e.occurred_at for e in result.events] == expected[::-1]


def test_dhl_scan_times_are_naive_local_wall_times() -> None:
    result = parsed("dhl", Scenario.ON_TIME, 24 * 14)

    first = result.events[-1]
    assert first.occurred_at is None
    assert first.occurred_at_local == "2024-05-06T16:30:00"  # Bonn, UTC+1


@pytest.mark.parametrize("carrier", CARRIERS)
def test_estimated_delivery_is_the_promised_local_date(carrier: str) -> None:
    result = parsed(carrier, Scenario.ON_TIME, 30)

    assert result.estimated_delivery == (START + timedelta(hours=72)).date()


@pytest.mark.parametrize("carrier", CARRIERS)
def test_late_delivery_comes_after_the_estimate_passed(carrier: str) -> None:
    in_transit = parsed(carrier, Scenario.LATE, 100)
    delivered = parsed(carrier, Scenario.LATE, 130)

    assert in_transit.status is S.IN_TRANSIT
    assert in_transit.estimated_delivery is not None
    delivered_on = delivered.delivered_at or datetime.fromisoformat(
        delivered.delivered_at_local or ""
    )
    assert delivered_on.date() > in_transit.estimated_delivery


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("scenario", list(SIGNERS))
def test_delivery_time_and_signer(carrier: str, scenario: Scenario) -> None:
    result = parsed(carrier, scenario, 24 * 14)

    delivered_hours = SCRIPTS[scenario].stops[-1].hours
    if carrier == "dhl":
        local = START + timedelta(hours=delivered_hours + 1)
        assert result.delivered_at_local == local.replace(tzinfo=None).isoformat()
    else:
        assert result.delivered_at == START + timedelta(hours=delivered_hours)
    assert result.signed_by == SIGNERS[scenario]


@pytest.mark.parametrize("carrier", CARRIERS)
def test_late_scan_is_flagged_delayed_where_the_carrier_says_so(carrier: str) -> None:
    result = parsed(carrier, Scenario.LATE, 60)

    assert result.events[0].delayed is (carrier in ("ups", "fedex"))


@pytest.mark.parametrize("scenario", [Scenario.NO_SCANS, Scenario.INVALID])
def test_unknown_numbers_have_no_scans_at_all(scenario: Scenario) -> None:
    assert journey(scenario, START, START + timedelta(days=30)).events == ()
