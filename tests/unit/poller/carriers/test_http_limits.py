"""The carriers' HTTP client under bad answers: a body cap enforced while the body streams
in, and one token refresh for a storm of concurrent 401s (httpx.MockTransport)."""

import asyncio
import itertools
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from services.poller.carriers.base import FailureReason, Malformed, ParsedShipment
from services.poller.carriers.http import CappedTransport
from services.poller.carriers.ups.client import UpsClient
from services.poller.carriers.ups.settings import UpsClientSettings

UPS_NUMBER = "1Z5R89390357567127"
CAP = 64 * 1024
CHUNK = 4 * 1024
UPS_BODY = {
    "trackResponse": {
        "shipment": [
            {
                "inquiryNumber": UPS_NUMBER,
                "package": [{"trackingNumber": UPS_NUMBER, "activity": []}],
            }
        ]
    }
}


class Trickle(httpx.AsyncByteStream):
    """A body of ``total`` bytes in ``CHUNK`` pieces, counting what was pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            piece = min(CHUNK, self.total - self.pulled)
            self.pulled += piece
            yield b"x" * piece


def _ups(http: httpx.AsyncClient) -> UpsClient:
    settings = UpsClientSettings(
        base_url="https://ups.test", client_id="i", client_secret=SecretStr("s")
    )
    return UpsClient(settings, http)


def _capped(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=CappedTransport(handler, CAP))


def _token_or(response: httpx.Response) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return response

    return httpx.MockTransport(handler)


async def test_a_streamed_body_over_the_cap_is_refused_without_reading_the_rest() -> None:
    stream = Trickle(20 * 1024 * 1024)
    async with _capped(_token_or(httpx.Response(200, stream=stream))) as http:
        result = await _ups(http).track([UPS_NUMBER])

    outcome = result[UPS_NUMBER]
    assert isinstance(outcome, Malformed) and outcome.reason is FailureReason.TOO_LARGE
    assert stream.pulled <= CAP + CHUNK


async def test_a_declared_length_over_the_cap_is_refused_before_any_byte() -> None:
    stream = Trickle(CAP + 1)
    response = httpx.Response(200, headers={"Content-Length": str(CAP + 1)}, stream=stream)
    async with _capped(_token_or(response)) as http:
        result = await _ups(http).track([UPS_NUMBER])

    outcome = result[UPS_NUMBER]
    assert isinstance(outcome, Malformed) and outcome.reason is FailureReason.TOO_LARGE
    assert stream.pulled == 0


async def test_a_body_within_the_cap_is_read_and_parsed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(200, json=UPS_BODY)

    async with _capped(httpx.MockTransport(handler)) as http:
        result = await _ups(http).track([UPS_NUMBER])

    assert isinstance(result[UPS_NUMBER], ParsedShipment)


async def test_invalid_json_is_malformed_with_its_reason() -> None:
    response = httpx.Response(
        200,
        content=b'{"trackResponse": {"shipment": [',
        headers={"Content-Type": "application/json"},
    )
    async with _capped(_token_or(response)) as http:
        result = await _ups(http).track([UPS_NUMBER])

    outcome = result[UPS_NUMBER]
    assert isinstance(outcome, Malformed) and outcome.reason is FailureReason.NOT_JSON


async def test_a_401_storm_of_concurrent_calls_makes_exactly_one_token_request() -> None:
    issued = itertools.count(1)
    current = ["none"]
    token_requests = 0
    rejected = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal token_requests, rejected
        if request.url.path.endswith("/token"):
            token_requests += 1
            await asyncio.sleep(0.05)  # every caller sees its 401 before the new token
            current[0] = f"t{next(issued)}"
            return httpx.Response(200, json={"access_token": current[0], "expires_in": 3600})
        if request.headers["Authorization"] != f"Bearer {current[0]}":
            rejected += 1
            return httpx.Response(401, json={"response": {"errors": [{"code": "250002"}]}})
        return httpx.Response(200, json=UPS_BODY)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = _ups(http)
        await client.track([UPS_NUMBER])
        current[0] = "revoked-by-the-carrier"
        results = await asyncio.gather(*(client.track([UPS_NUMBER]) for _ in range(10)))

    assert all(isinstance(r[UPS_NUMBER], ParsedShipment) for r in results)
    assert rejected == 10
    assert token_requests == 2  # the first token, then one refresh for the whole storm


@pytest.mark.parametrize("size", [CAP, CAP - 1])
async def test_a_body_of_exactly_the_cap_passes(size: int) -> None:
    stream = Trickle(size)
    async with _capped(_token_or(httpx.Response(200, stream=stream))) as http:
        result = await _ups(http).track([UPS_NUMBER])

    outcome = result[UPS_NUMBER]
    assert isinstance(outcome, Malformed) and outcome.reason is FailureReason.NOT_JSON
    assert stream.pulled == size
