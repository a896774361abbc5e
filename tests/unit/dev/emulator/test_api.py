"""The project's carrier clients against the emulator app (in-process ASGI transport)."""

import time
from datetime import timedelta

import pytest

from parcelwatch.dev.emulator.scenarios import CARRIERS, Scenario, number_for
from services.poller.carriers.base import (
    AuthFailed,
    CarrierDown,
    InvalidNumber,
    NotFound,
    ParsedShipment,
    RateLimited,
    TrackOutcome,
)
from services.poller.carriers.registry import registry
from shared.contracts.statuses import TrackingStatus as S
from tests.unit.dev.emulator.conftest import Emulated

OAUTH = ["ups", "fedex", "usps"]
TOKEN_PATH = {
    "ups": "/security/v1/oauth/token",
    "fedex": "/oauth/token",
    "usps": "/oauth2/v3/token",
}
TRACK_PATH = {
    "ups": "/api/track/v1/details/",
    "fedex": "/track/v1/trackingnumbers",
    "usps": "/tracking/v3/tracking/",
    "dhl": "/track/shipments",
}


async def track(emulated: Emulated, carrier: str, number: str) -> TrackOutcome:
    return (await emulated.client(carrier).track([number]))[number]


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_a_lifecycle_starts_when_the_emulator_first_sees_the_number(
    emulated: Emulated, carrier: str
) -> None:
    client = emulated.client(carrier)
    first = number_for(carrier, Scenario.ON_TIME, 1)
    second = number_for(carrier, Scenario.ON_TIME, 2)

    assert (await client.track([first]))[first].status is S.LABEL_CREATED  # type: ignore[union-attr]
    emulated.real.advance(timedelta(hours=65))
    later = await client.track([first, second])

    assert later[first].status is S.OUT_FOR_DELIVERY  # type: ignore[union-attr]
    assert later[second].status is S.LABEL_CREATED  # type: ignore[union-attr]
    emulated.real.advance(timedelta(hours=6))
    delivered = await track(emulated, carrier, first)
    assert isinstance(delivered, ParsedShipment)
    assert delivered.status is S.DELIVERED
    assert delivered.signed_by == "K LEE"


@pytest.mark.parametrize("carrier", OAUTH)
async def test_an_expired_token_gets_401_then_the_client_refreshes(
    emulated: Emulated, carrier: str
) -> None:
    client = emulated.client(carrier)
    number = number_for(carrier, Scenario.STALLED, 1)

    await client.track([number])
    emulated.real.advance(timedelta(seconds=601))  # the client's own cache has not noticed
    outcome = (await client.track([number]))[number]

    assert isinstance(outcome, ParsedShipment)
    assert emulated.statuses(TRACK_PATH[carrier]) == [200, 401, 200]
    assert emulated.statuses(TOKEN_PATH[carrier]) == [200, 200]


@pytest.mark.parametrize("carrier", OAUTH)
async def test_an_unknown_token_gets_the_carriers_401_body(
    emulated: Emulated, carrier: str
) -> None:
    number = number_for(carrier, Scenario.ON_TIME, 1)
    headers = {"Authorization": "Bearer not-issued-here"}
    if carrier == "fedex":
        body = {"trackingInfo": [{"trackingNumberInfo": {"trackingNumber": number}}]}
        response = await emulated.http.post(TRACK_PATH[carrier], json=body, headers=headers)
    else:
        response = await emulated.http.get(TRACK_PATH[carrier] + number, headers=headers)

    assert response.status_code == 401
    assert isinstance(registry()[carrier].parse(response.json(), [number]), AuthFailed)


async def test_dhl_without_an_api_key_gets_the_gateway_401(emulated: Emulated) -> None:
    number = number_for("dhl", Scenario.ON_TIME, 1)

    response = await emulated.http.get(TRACK_PATH["dhl"], params={"trackingNumber": number})

    assert response.status_code == 401
    assert isinstance(registry()["dhl"].parse(response.json(), [number]), AuthFailed)


@pytest.mark.parametrize("carrier", OAUTH)
async def test_bad_client_credentials_are_refused(emulated: Emulated, carrier: str) -> None:
    response = await emulated.http.post(TOKEN_PATH[carrier], data={"grant_type": "password"})

    assert response.status_code == 401
    assert "access_token" not in response.json()


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_rate_limited_numbers_get_429_bursts_with_retry_after(
    emulated: Emulated, carrier: str
) -> None:
    number = number_for(carrier, Scenario.RATE_LIMITED, 1)

    outcomes = [await track(emulated, carrier, number) for _ in range(4)]

    assert outcomes[:3] == [RateLimited("HTTP 429", 2.0)] * 3
    assert isinstance(outcomes[3], ParsedShipment)


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_server_error_numbers_get_500_then_503_then_an_answer(
    emulated: Emulated, carrier: str
) -> None:
    number = number_for(carrier, Scenario.SERVER_ERROR, 1)

    outcomes = [await track(emulated, carrier, number) for _ in range(3)]

    assert outcomes[:2] == [CarrierDown("HTTP 500"), CarrierDown("HTTP 503", 2.0)]
    assert isinstance(outcomes[2], ParsedShipment)


@pytest.mark.parametrize("carrier", OAUTH)
async def test_expired_token_numbers_force_a_token_refresh_on_every_later_poll(
    emulated: Emulated, carrier: str
) -> None:
    client = emulated.client(carrier)
    number = number_for(carrier, Scenario.EXPIRED_TOKEN, 1)

    outcomes = [(await client.track([number]))[number] for _ in range(3)]

    assert all(isinstance(o, ParsedShipment) for o in outcomes)
    assert emulated.statuses(TRACK_PATH[carrier]) == [200, 401, 200, 401, 200]
    assert len(emulated.statuses(TOKEN_PATH[carrier])) == 3


async def test_dhl_expired_token_numbers_get_401_on_every_second_request(
    emulated: Emulated,
) -> None:
    number = number_for("dhl", Scenario.EXPIRED_TOKEN, 1)

    outcomes = [await track(emulated, "dhl", number) for _ in range(3)]

    assert isinstance(outcomes[0], ParsedShipment)
    assert isinstance(outcomes[1], AuthFailed)
    assert isinstance(outcomes[2], ParsedShipment)


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_slow_numbers_answer_after_the_configured_delay(
    emulated: Emulated, carrier: str
) -> None:
    number = number_for(carrier, Scenario.SLOW, 1)

    started = time.monotonic()
    outcome = await track(emulated, carrier, number)

    assert time.monotonic() - started >= 0.05
    assert isinstance(outcome, ParsedShipment)


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_never_scanned_numbers_are_not_found(emulated: Emulated, carrier: str) -> None:
    number = number_for(carrier, Scenario.NO_SCANS, 1)

    outcome = await track(emulated, carrier, number)

    assert isinstance(outcome, NotFound)
    assert outcome.tracking_number == number


@pytest.mark.parametrize("carrier", ["ups", "usps"])
async def test_invalid_numbers_get_the_carriers_invalid_number_error(
    emulated: Emulated, carrier: str
) -> None:
    number = number_for(carrier, Scenario.INVALID, 1)

    assert isinstance(await track(emulated, carrier, number), InvalidNumber)


async def test_fedex_invalid_numbers_are_invalid(emulated: Emulated) -> None:
    number = number_for("fedex", Scenario.INVALID, 1)

    outcome = await track(emulated, "fedex", number)

    assert isinstance(outcome, InvalidNumber)
    assert "TRACKING.TRACKINGNUMBER.INVALID" in outcome.detail


async def test_dhl_has_no_invalid_number_error_only_404(emulated: Emulated) -> None:
    number = number_for("dhl", Scenario.INVALID, 1)

    assert isinstance(await track(emulated, "dhl", number), NotFound)


async def test_fedex_answers_each_number_of_a_batch(emulated: Emulated) -> None:
    numbers = [number_for("fedex", s, 1) for s in (Scenario.ON_TIME, Scenario.NO_SCANS)]

    outcomes = await emulated.client("fedex").track(numbers)

    assert isinstance(outcomes[numbers[0]], ParsedShipment)
    assert isinstance(outcomes[numbers[1]], NotFound)
    assert emulated.statuses(TRACK_PATH["fedex"]) == [200]


async def test_fedex_batch_fails_whole_when_one_number_is_rate_limited(
    emulated: Emulated,
) -> None:
    numbers = [number_for("fedex", s, 1) for s in (Scenario.ON_TIME, Scenario.RATE_LIMITED)]

    outcomes = await emulated.client("fedex").track(numbers)

    assert all(isinstance(o, RateLimited) for o in outcomes.values())


async def test_fedex_refuses_an_empty_or_oversized_batch(emulated: Emulated) -> None:
    token = (await emulated.http.post(TOKEN_PATH["fedex"], data=_fedex_credentials())).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    infos = [{"trackingNumberInfo": {"trackingNumber": str(n)}} for n in range(31)]

    empty = await emulated.http.post(TRACK_PATH["fedex"], json={}, headers=headers)
    oversized = await emulated.http.post(
        TRACK_PATH["fedex"], json={"trackingInfo": infos}, headers=headers
    )

    assert (empty.status_code, empty.json()["errors"][0]["code"]) == (
        400,
        "TRACKING.TRACKINGNUMBER.EMPTY",
    )
    assert oversized.status_code == 400


async def test_token_responses_carry_the_fields_each_carrier_sends(emulated: Emulated) -> None:
    ups_token = await emulated.http.post(
        TOKEN_PATH["ups"], data={"grant_type": "client_credentials"}, auth=("id", "secret")
    )
    usps_token = await emulated.http.post(
        TOKEN_PATH["usps"],
        json={"grant_type": "client_credentials", "client_id": "id", "client_secret": "s"},
    )

    assert ups_token.json()["expires_in"] == "600"  # UPS types every field as a string
    assert ups_token.json()["client_id"] == "id"
    assert usps_token.json()["expires_in"] == 600
    assert "tracking" in usps_token.json()["scope"].split()


async def test_usps_summary_leaves_out_the_events(emulated: Emulated) -> None:
    token = (await emulated.http.post(TOKEN_PATH["usps"], data=_usps_credentials())).json()
    number = number_for("usps", Scenario.ON_TIME, 1)

    response = await emulated.http.get(
        TRACK_PATH["usps"] + number,
        params={"expand": "SUMMARY"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )

    assert response.json()["statusCategory"] == "Pre-Shipment"
    assert "trackingEvents" not in response.json()


async def test_health_and_clock_endpoints(emulated: Emulated) -> None:
    emulated.real.advance(timedelta(seconds=10))

    health = await emulated.http.get("/healthz")
    clock = (await emulated.http.get("/_emulator/clock")).json()

    assert health.json() == {"status": "ok"}
    assert clock["time_scale"] == 1
    assert clock["emulated"] == clock["real"] == "2024-05-06T12:00:10+00:00"


def _fedex_credentials() -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": "k", "client_secret": "s"}


def _usps_credentials() -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": "id", "client_secret": "s"}
