import asyncio
import base64
import json
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from services.poller.carriers.base import (
    AuthFailed,
    CarrierClient,
    CarrierDown,
    Malformed,
    NotFound,
    ParsedShipment,
    RateLimited,
)
from services.poller.carriers.dhl.client import DhlClient
from services.poller.carriers.dhl.settings import DhlClientSettings
from services.poller.carriers.fedex.client import FedexClient
from services.poller.carriers.fedex.settings import FedexClientSettings
from services.poller.carriers.registry import registry
from services.poller.carriers.ups.client import UpsClient
from services.poller.carriers.ups.settings import UpsClientSettings
from services.poller.carriers.usps.client import UspsClient
from services.poller.carriers.usps.settings import UspsClientSettings

Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
UPS_NUMBER = "1Z5R89390357567127"
USPS_NUMBER = "9400111206206406260787"


def _http(handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def _ups(http: httpx.AsyncClient, **kwargs: object) -> UpsClient:
    settings = UpsClientSettings(
        base_url="https://ups.test",
        client_id="id",
        client_secret=SecretStr("secret"),
        merchant_id="123456",
        transaction_src="parcelwatch-test",
    )
    return UpsClient(settings, http, clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]


def _fedex(http: httpx.AsyncClient) -> FedexClient:
    settings = FedexClientSettings(
        base_url="https://fedex.test", api_key="key", secret_key=SecretStr("s")
    )
    return FedexClient(settings, http, clock=lambda: NOW)


def _usps(http: httpx.AsyncClient) -> UspsClient:
    settings = UspsClientSettings(
        base_url="https://usps.test", client_id="id", client_secret=SecretStr("s")
    )
    return UspsClient(settings, http, clock=lambda: NOW)


def _numbers(request: httpx.Request) -> list[str]:
    if request.method == "POST":
        return [
            i["trackingNumberInfo"]["trackingNumber"]
            for i in json.loads(request.content)["trackingInfo"]
        ]
    return [request.url.path.rsplit("/", 1)[-1]]


def _ok_body(request: httpx.Request) -> dict[str, object]:
    """A minimal successful response of whichever carrier the request went to."""
    numbers = _numbers(request)
    host = request.url.host
    if host == "ups.test":
        package = {"trackingNumber": numbers[0], "activity": []}
        return {
            "trackResponse": {"shipment": [{"inquiryNumber": numbers[0], "package": [package]}]}
        }
    if host == "fedex.test":
        results = [{"trackingNumber": n, "trackResults": [{"scanEvents": [
            {"date": "2024-01-01T10:00:00Z", "eventType": "IT"}]}]} for n in numbers]  # fmt: skip
        return {"output": {"completeTrackResults": results}}
    return {"trackingNumber": numbers[0], "trackingEvents": []}


def _is_token(request: httpx.Request) -> bool:
    return request.url.path in ("/security/v1/oauth/token", "/oauth/token", "/oauth2/v3/token")


class FakeCarrier:
    """Issues tokens t1, t2, …; accepts only the token named ``valid``."""

    def __init__(self) -> None:
        self.token_requests: list[httpx.Request] = []
        self.track_requests: list[httpx.Request] = []
        self.valid = "t1"

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # let concurrent callers interleave
        if _is_token(request):
            self.token_requests.append(request)
            token = f"t{len(self.token_requests)}"
            return httpx.Response(200, json={"access_token": token, "expires_in": "3599"})
        self.track_requests.append(request)
        if request.headers["Authorization"] != f"Bearer {self.valid}":
            return httpx.Response(401, json={"response": {"errors": [{"code": "250002"}]}})
        return httpx.Response(200, json=_ok_body(request))


OAUTH_CLIENTS: dict[str, Callable[[httpx.AsyncClient], CarrierClient]] = {
    "ups": _ups,
    "fedex": _fedex,
    "usps": _usps,
}
NUMBER = {"ups": UPS_NUMBER, "fedex": "986578788855", "usps": USPS_NUMBER}


@pytest.mark.parametrize("slug", sorted(OAUTH_CLIENTS))
async def test_fifty_concurrent_401s_cause_exactly_one_token_request(slug: str) -> None:
    carrier = FakeCarrier()
    async with _http(carrier) as http:
        client = OAUTH_CLIENTS[slug](http)
        await client.track([NUMBER[slug]])
        carrier.valid = "t2"  # the carrier revokes t1
        results = await asyncio.gather(*(client.track([NUMBER[slug]]) for _ in range(50)))
    assert len(carrier.token_requests) == 2
    assert all(isinstance(r[NUMBER[slug]], ParsedShipment) for r in results)
    assert sum(r.headers["Authorization"] == "Bearer t1" for r in carrier.track_requests) == 51


@pytest.mark.parametrize("slug", sorted(OAUTH_CLIENTS))
async def test_cold_start_fetches_one_token_for_concurrent_calls(slug: str) -> None:
    carrier = FakeCarrier()
    async with _http(carrier) as http:
        client = OAUTH_CLIENTS[slug](http)
        await asyncio.gather(*(client.track([NUMBER[slug]]) for _ in range(20)))
    assert len(carrier.token_requests) == 1


async def test_token_is_reused_until_it_nears_expiry() -> None:
    carrier, now = FakeCarrier(), [0.0]
    async with _http(carrier) as http:
        client = _ups(http, monotonic=lambda: now[0])
        await client.track([UPS_NUMBER])
        now[0] = 3000.0
        await client.track([UPS_NUMBER])
        assert len(carrier.token_requests) == 1
        now[0] = 3400.0  # within the refresh margin of expires_in=3599
        carrier.valid = "t2"
        await client.track([UPS_NUMBER])
    assert len(carrier.token_requests) == 2


async def test_ups_request_headers_and_token_request() -> None:
    carrier = FakeCarrier()
    async with _http(carrier) as http:
        client = _ups(http)
        await client.track([UPS_NUMBER])
        await client.track([UPS_NUMBER])
    [token] = carrier.token_requests
    assert token.url == "https://ups.test/security/v1/oauth/token"
    assert token.headers["Authorization"] == "Basic " + base64.b64encode(b"id:secret").decode()
    assert token.headers["x-merchant-id"] == "123456"
    assert token.content == b"grant_type=client_credentials"
    first, second = carrier.track_requests
    assert first.url.path == f"/api/track/v1/details/{UPS_NUMBER}"
    assert first.url.params["locale"] == "en_US"
    assert first.headers["transactionSrc"] == "parcelwatch-test"
    assert first.headers["Authorization"] == "Bearer t1"
    assert len(first.headers["transId"]) == 32
    assert first.headers["transId"] != second.headers["transId"]


async def test_persistent_401_after_one_refresh_is_auth_failed() -> None:
    carrier = FakeCarrier()
    carrier.valid = "never"
    async with _http(carrier) as http:
        result = await _ups(http).track([UPS_NUMBER])
    assert isinstance(result[UPS_NUMBER], AuthFailed)
    assert len(carrier.token_requests) == 2


async def test_refused_token_request_is_auth_failed() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    async with _http(handler) as http:
        result = await _usps(http).track([USPS_NUMBER])
    assert isinstance(result[USPS_NUMBER], AuthFailed)


def _always(response: httpx.Response) -> Handler:
    async def handler(request: httpx.Request) -> httpx.Response:
        if _is_token(request):
            return httpx.Response(200, json={"access_token": "t1", "expires_in": 3599})
        return response

    return handler


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("Wed, 01 May 2024 12:01:30 GMT", 90.0), ("soon", None), (None, None)],
)
async def test_429_is_rate_limited_with_retry_after(
    header: str | None, seconds: float | None
) -> None:
    headers = {"Retry-After": header} if header else {}
    async with _http(_always(httpx.Response(429, headers=headers))) as http:
        result = await _ups(http).track([UPS_NUMBER])
    assert result[UPS_NUMBER] == RateLimited("HTTP 429", seconds)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_carrier_down(status: int) -> None:
    response = httpx.Response(status, headers={"Retry-After": "30"}, json={"errors": []})
    async with _http(_always(response)) as http:
        result = await _fedex(http).track(["986578788855"])
    assert result["986578788855"] == CarrierDown(f"HTTP {status}", 30.0)


@pytest.mark.parametrize("error", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
async def test_timeouts_and_connection_errors_are_carrier_down(error: Exception) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise error

    async with _http(handler) as http:
        result = await _usps(http).track([USPS_NUMBER])
    assert isinstance(result[USPS_NUMBER], CarrierDown)


async def test_fedex_sends_at_most_30_numbers_per_post() -> None:
    carrier = FakeCarrier()
    numbers = [f"{n:012d}" for n in range(65)]
    async with _http(carrier) as http:
        results = await _fedex(http).track(numbers)
    sizes = sorted(len(_numbers(r)) for r in carrier.track_requests)
    assert sizes == [5, 30, 30]
    assert sorted(results) == numbers
    assert all(isinstance(o, ParsedShipment) for o in results.values())
    body = json.loads(carrier.track_requests[0].content)
    assert body["includeDetailedScans"] is True
    assert carrier.track_requests[0].url == "https://fedex.test/track/v1/trackingnumbers"


async def test_fedex_number_missing_from_the_response_is_malformed() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if _is_token(request):
            return httpx.Response(200, json={"access_token": "t1", "expires_in": 3599})
        only_111 = {"trackingInfo": [{"trackingNumberInfo": {"trackingNumber": "111"}}]}
        return httpx.Response(200, json=_ok_body(httpx.Request("POST", request.url, json=only_111)))

    async with _http(handler) as http:
        result = await _fedex(http).track(["111", "222"])
    assert isinstance(result["111"], ParsedShipment)
    assert isinstance(result["222"], Malformed)


async def test_usps_asks_for_detail_and_sends_json_credentials() -> None:
    carrier = FakeCarrier()
    async with _http(carrier) as http:
        await _usps(http).track([USPS_NUMBER])
    [token], [track] = carrier.token_requests, carrier.track_requests
    assert json.loads(token.content) == {
        "grant_type": "client_credentials",
        "client_id": "id",
        "client_secret": "s",
    }
    assert track.url.path == f"/tracking/v3/tracking/{USPS_NUMBER}"
    assert track.url.params["expand"] == "DETAIL"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, text="<html>Tracking is not available</html>"),
        httpx.Response(400, json={"error": {"code": "400", "errors": [{"code": "150002"}]}}),
    ],
)
async def test_usps_not_yet_available_is_not_found(response: httpx.Response) -> None:
    async with _http(_always(response)) as http:
        result = await _usps(http).track([USPS_NUMBER])
    assert isinstance(result[USPS_NUMBER], NotFound)


async def test_non_json_success_body_is_malformed() -> None:
    async with _http(_always(httpx.Response(200, text="<html>maintenance</html>"))) as http:
        result = await _ups(http).track([UPS_NUMBER])
    assert isinstance(result[UPS_NUMBER], Malformed)


async def test_dhl_sends_its_api_key_and_no_token_request() -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404, json={"title": "No result found", "status": 404})

    settings = DhlClientSettings(
        base_url="https://dhl.test", api_key=SecretStr("k"), service="express"
    )
    async with _http(handler) as http:
        result = await DhlClient(settings, http).track(["3318810025"])
    [request] = seen
    assert request.headers["DHL-API-Key"] == "k"
    assert request.url.path == "/track/shipments"
    assert dict(request.url.params) == {"trackingNumber": "3318810025", "service": "express"}
    assert isinstance(result["3318810025"], NotFound)


async def test_dhl_401_is_auth_failed() -> None:
    response = httpx.Response(401, json={"title": "Unauthorized", "statusCode": 401})
    async with _http(_always(response)) as http:
        client = registry()["dhl"].build_client({"api_key": "bad"}, http)
        result = await client.track(["3318810025"])
    assert isinstance(result["3318810025"], AuthFailed)


def test_registry_has_the_four_carriers() -> None:
    assert sorted(registry()) == ["dhl", "fedex", "ups", "usps"]
