"""The emulator's carrier-fault scenarios, read by the project's own clients (in-process
ASGI transport): each fault is what it claims, in the carrier's own format, and passes."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from parcelwatch.dev.emulator.app import build_app
from parcelwatch.dev.emulator.faults import Fault, Spoil, fault_for
from parcelwatch.dev.emulator.scenarios import CARRIERS, Scenario, number_for
from parcelwatch.dev.emulator.settings import EmulatorSettings
from services.poller.carriers.base import (
    CarrierDown,
    FailureReason,
    Malformed,
    ParsedShipment,
    TrackOutcome,
)
from services.poller.carriers.http import CappedTransport
from services.poller.carriers.registry import registry
from shared.infra.clock import ScaledClock
from tests.support.clock import FakeClock
from tests.unit.dev.emulator.conftest import BASE_URL, CREDENTIALS

HUGE = 3 * 1024 * 1024
TOKEN_PATHS = ("/security/v1/oauth/token", "/oauth/token", "/oauth2/v3/token")


class Faulty:
    """The emulator with small fault sizes, and every request path it answered."""

    def __init__(self, cap: int) -> None:
        settings = EmulatorSettings(
            clock_scale=1, drip_seconds=1.0, huge_bytes=HUGE, fault_requests=2, outage_requests=3
        )
        real = FakeClock(datetime(2024, 5, 6, 12, 0, tzinfo=UTC))
        transport = httpx.ASGITransport(app=build_app(settings, ScaledClock(1, real=real)))
        self.paths: list[tuple[str, int]] = []
        self.http = httpx.AsyncClient(
            transport=CappedTransport(transport, cap),
            base_url=BASE_URL,
            event_hooks={"response": [self._record]},
        )

    async def _record(self, response: httpx.Response) -> None:
        self.paths.append((response.request.url.path, response.status_code))

    async def track(self, carrier: str, number: str) -> TrackOutcome:
        settings = {"base_url": BASE_URL, **CREDENTIALS[carrier]}
        client = registry()[carrier].build_client(settings, self.http)
        return (await client.track([number]))[number]


@pytest.fixture
async def faulty() -> AsyncIterator[Faulty]:
    emulator = Faulty(cap=1024 * 1024)
    async with emulator.http:
        yield emulator


def test_fault_patterns_of_the_carrier_fault_scenarios() -> None:
    def pattern(scenario: Scenario) -> list[Fault | Spoil | None]:
        return [fault_for(scenario, n, spoiled=2, outage=6) for n in range(1, 9)]

    assert pattern(Scenario.SERVER_OUTAGE) == [Fault.SERVER_ERROR] * 6 + [None] * 2
    assert pattern(Scenario.TOKEN_STORM) == [Fault.TOKEN_EXPIRED] + [None] * 7
    assert pattern(Scenario.UNKNOWN_ERROR) == [Fault.UNKNOWN_ERROR] * 2 + [None] * 6
    assert pattern(Scenario.SLOW_DRIP) == [Spoil.SLOW_DRIP] * 2 + [None] * 6
    assert pattern(Scenario.HUGE_BODY) == [Spoil.HUGE_BODY] * 2 + [None] * 6
    assert pattern(Scenario.INVALID_JSON) == [Spoil.INVALID_JSON] * 2 + [None] * 6


async def _twice_then_answer(
    faulty: Faulty, carrier: str, scenario: Scenario
) -> tuple[TrackOutcome, TrackOutcome]:
    number = number_for(carrier, scenario, 1)
    first, second, third = [await faulty.track(carrier, number) for _ in range(3)]
    assert isinstance(third, ParsedShipment), third
    assert first == second
    return first, third


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_unknown_error_codes_are_classified_as_unknown(faulty: Faulty, carrier: str) -> None:
    failure, _ = await _twice_then_answer(faulty, carrier, Scenario.UNKNOWN_ERROR)

    assert isinstance(failure, Malformed) and failure.reason is FailureReason.UNKNOWN_ERROR


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_invalid_json_is_not_json(faulty: Faulty, carrier: str) -> None:
    failure, _ = await _twice_then_answer(faulty, carrier, Scenario.INVALID_JSON)

    assert isinstance(failure, Malformed) and failure.reason is FailureReason.NOT_JSON


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_huge_bodies_are_refused_over_the_cap(faulty: Faulty, carrier: str) -> None:
    failure, _ = await _twice_then_answer(faulty, carrier, Scenario.HUGE_BODY)

    assert isinstance(failure, Malformed) and failure.reason is FailureReason.TOO_LARGE


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_a_huge_body_is_valid_json_in_the_carriers_format(carrier: str) -> None:
    emulator = Faulty(cap=2 * HUGE)
    async with emulator.http:
        outcome = await emulator.track(carrier, number_for(carrier, Scenario.HUGE_BODY, 1))

    assert isinstance(outcome, ParsedShipment)


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_a_slow_drip_body_trickles_in_over_drip_seconds(faulty: Faulty, carrier: str) -> None:
    started = time.monotonic()
    outcome = await faulty.track(carrier, number_for(carrier, Scenario.SLOW_DRIP, 1))

    assert time.monotonic() - started >= 0.9
    assert isinstance(outcome, ParsedShipment)


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_a_server_outage_is_a_run_of_500s(faulty: Faulty, carrier: str) -> None:
    number = number_for(carrier, Scenario.SERVER_OUTAGE, 1)

    outcomes = [await faulty.track(carrier, number) for _ in range(4)]

    assert outcomes[:3] == [CarrierDown("HTTP 500")] * 3
    assert isinstance(outcomes[3], ParsedShipment)


@pytest.mark.parametrize("carrier", ["ups", "fedex", "usps"])
async def test_a_token_storm_rejects_every_request_with_the_token_until_one_refresh(
    faulty: Faulty, carrier: str
) -> None:
    settings = {"base_url": BASE_URL, **CREDENTIALS[carrier]}
    client = registry()[carrier].build_client(settings, faulty.http)
    await client.track([number_for(carrier, Scenario.ON_TIME, 1)])
    storm = number_for(carrier, Scenario.TOKEN_STORM, 1)
    others = [number_for(carrier, Scenario.ON_TIME, n) for n in range(2, 8)]

    results = await asyncio.gather(*(client.track([n]) for n in [storm, *others]))

    assert all(isinstance(o, ParsedShipment) for r in results for o in r.values())
    tokens = [s for path, s in faulty.paths if path in TOKEN_PATHS]
    assert tokens == [200, 200]  # the first token, then one refresh for the storm
    assert any(s == 401 for path, s in faulty.paths if path not in TOKEN_PATHS)
