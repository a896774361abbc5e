"""FedEx: ``POST /oauth/token`` and ``POST /track/v1/trackingnumbers`` (up to 30 numbers)."""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from parcelwatch.dev.emulator.api import common
from parcelwatch.dev.emulator.faults import Fault
from parcelwatch.dev.emulator.render import fedex
from parcelwatch.dev.emulator.scenarios import Scenario
from parcelwatch.dev.emulator.state import Emulator
from parcelwatch.dev.emulator.tokens import TokenState

CARRIER = "fedex"
MAX_NUMBERS = 30
_FAULTS = {
    Fault.RATE_LIMITED: fedex.RATE_LIMITED,
    Fault.SERVER_ERROR: fedex.SERVER_ERROR,
    Fault.UNAVAILABLE: fedex.UNAVAILABLE,
    Fault.TOKEN_EXPIRED: fedex.TOKEN_INVALID,
    Fault.UNKNOWN_ERROR: fedex.UNKNOWN_ERROR,
}


def router(emulator: Emulator) -> APIRouter:
    """The FedEx routes over ``emulator``."""
    api = APIRouter(tags=["FedEx"])

    @api.post("/oauth/token")
    async def token(request: Request) -> JSONResponse:
        if not common.client_credentials(await common.fields(request)):
            return common.answer(401, fedex.error(fedex.CREDENTIALS_INVALID))
        return common.answer(
            200,
            {
                "access_token": emulator.tokens.issue(CARRIER),
                "token_type": "bearer",
                "expires_in": emulator.tokens.ttl,
                "scope": "CXS-TP",
            },
        )

    @api.post("/track/v1/trackingnumbers")
    async def track(request: Request) -> Response:
        token = common.authorize(emulator, CARRIER, request)
        if isinstance(token, TokenState):
            return common.answer(401, fedex.error(fedex.TOKEN_INVALID))
        numbers = _numbers(await request.body())
        if not numbers:
            return common.answer(400, fedex.error(fedex.EMPTY))
        if len(numbers) > MAX_NUMBERS:
            return common.answer(400, fedex.error(fedex.TOO_MANY_NUMBERS))
        fault = await common.admit_with_token(emulator, CARRIER, token, numbers)
        if isinstance(fault, Fault):
            return common.failure(emulator, fault, fedex.error(_FAULTS[fault]))
        answer = common.answer(200, fedex.track_response([_result(emulator, n) for n in numbers]))
        return common.spoil(emulator, fault, answer)

    return api


def _numbers(raw: bytes) -> list[str]:
    """The non-empty numbers of ``trackingInfo[].trackingNumberInfo.trackingNumber``."""
    try:
        body: Any = json.loads(raw)
        infos = body["trackingInfo"]
        numbers = [str(info["trackingNumberInfo"]["trackingNumber"]).strip() for info in infos]
    except (ValueError, KeyError, TypeError):
        return []
    return [n for n in numbers if n]


def _result(emulator: Emulator, number: str) -> dict[str, Any]:
    scenario, journey = emulator.journey(CARRIER, number)
    if scenario is Scenario.INVALID:
        return fedex.number_error(number, fedex.INVALID_NUMBER)
    if not journey.events:
        return fedex.number_error(number, fedex.NOT_FOUND)
    return fedex.complete_result(number, journey)
