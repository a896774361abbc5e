"""UPS: ``POST /security/v1/oauth/token`` and ``GET /api/track/v1/details/{number}``."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from parcelwatch.dev.emulator.api import common
from parcelwatch.dev.emulator.faults import Fault
from parcelwatch.dev.emulator.render import ups
from parcelwatch.dev.emulator.scenarios import Scenario
from parcelwatch.dev.emulator.state import Emulator
from parcelwatch.dev.emulator.tokens import TokenState

CARRIER = "ups"
_FAULTS = {
    Fault.RATE_LIMITED: ups.RATE_LIMITED,
    Fault.SERVER_ERROR: ups.SERVER_ERROR,
    Fault.UNAVAILABLE: ups.SERVER_ERROR,
    Fault.TOKEN_EXPIRED: ups.TOKEN_EXPIRED,
    Fault.UNKNOWN_ERROR: ups.UNKNOWN_ERROR,
}


def router(emulator: Emulator) -> APIRouter:
    """The UPS routes over ``emulator``."""
    api = APIRouter(tags=["UPS"])

    @api.post("/security/v1/oauth/token")
    async def token(request: Request) -> JSONResponse:
        credentials = common.basic(request)
        form = await common.fields(request)
        if credentials is None or form.get("grant_type") != "client_credentials":
            return common.answer(401, ups.error(ups.CLIENT_INVALID))
        issued_at = int(emulator.clock.real.now().timestamp() * 1000)
        return common.answer(
            200,
            {
                "token_type": "Bearer",
                "issued_at": str(issued_at),
                "client_id": credentials[0],
                "access_token": emulator.tokens.issue(CARRIER),
                "scope": "",
                "expires_in": str(emulator.tokens.ttl),
                "refresh_count": "0",
                "status": "approved",
            },
        )

    @api.get("/api/track/v1/details/{number}")
    async def track(number: str, request: Request) -> Response:
        token = common.authorize(emulator, CARRIER, request)
        if isinstance(token, TokenState):
            expired = token is TokenState.EXPIRED
            return common.answer(
                401, ups.error(ups.TOKEN_EXPIRED if expired else ups.TOKEN_UNKNOWN)
            )
        fault = await common.admit_with_token(emulator, CARRIER, token, [number])
        if isinstance(fault, Fault):
            return common.failure(emulator, fault, ups.error(_FAULTS[fault]))
        return common.spoil(emulator, fault, _answer(emulator, number))

    return api


def _answer(emulator: Emulator, number: str) -> JSONResponse:
    scenario, journey = emulator.journey(CARRIER, number)
    if scenario is Scenario.INVALID:
        return common.answer(400, ups.error(ups.INVALID_NUMBER))
    if not journey.events:
        return common.answer(404, ups.error(ups.NOT_FOUND))
    return common.answer(200, ups.track_response(number, journey))
