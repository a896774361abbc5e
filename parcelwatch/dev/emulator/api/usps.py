"""USPS: ``POST /oauth2/v3/token`` and ``GET /tracking/v3/tracking/{number}?expand=…``."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from parcelwatch.dev.emulator.api import common
from parcelwatch.dev.emulator.faults import Fault
from parcelwatch.dev.emulator.render import usps
from parcelwatch.dev.emulator.scenarios import Scenario
from parcelwatch.dev.emulator.state import Emulator
from parcelwatch.dev.emulator.tokens import TokenState

CARRIER = "usps"
SCOPE = "addresses tracking labels prices"
_EXPIRED = "The access token has expired."
_UNKNOWN_CLIENT = "The client application identifier is invalid."
_FAULTS = {
    Fault.RATE_LIMITED: (
        "Exceeded quota limit.",
        ("429", "Too Many Requests.", "Quota limit exceeded."),
    ),
    Fault.SERVER_ERROR: ("Internal Server Error", None),
    Fault.UNAVAILABLE: ("Service Unavailable", None),
    Fault.TOKEN_EXPIRED: (_EXPIRED, None),
    Fault.UNKNOWN_ERROR: ("Bad Request", usps.UNKNOWN_ERROR),
}


def router(emulator: Emulator) -> APIRouter:
    """The USPS routes over ``emulator``."""
    api = APIRouter(tags=["USPS"])

    @api.post("/oauth2/v3/token")
    async def token(request: Request) -> JSONResponse:
        form = await common.fields(request)
        if not common.client_credentials(form):
            return common.answer(
                401, usps.oauth_error("invalid_client", "Client authentication failed.")
            )
        return common.answer(
            200,
            {
                "access_token": emulator.tokens.issue(CARRIER),
                "token_type": "Bearer",
                "issued_at": int(emulator.clock.real.now().timestamp() * 1000),
                "expires_in": emulator.tokens.ttl,
                "status": "approved",
                "scope": SCOPE,
                "issuer": "api.usps.com",
                "client_id": form["client_id"],
                "application_name": "parcelwatch-emulator",
                "api_products": "[Public Access]",
            },
        )

    @api.get("/tracking/v3/tracking/{number}")
    async def track(number: str, request: Request, expand: str = "SUMMARY") -> Response:
        token = common.authorize(emulator, CARRIER, request)
        if isinstance(token, TokenState):
            expired = token is TokenState.EXPIRED
            return common.answer(401, usps.error(401, _EXPIRED if expired else _UNKNOWN_CLIENT))
        fault = await common.admit_with_token(emulator, CARRIER, token, [number])
        if isinstance(fault, Fault):
            message, detail = _FAULTS[fault]
            return common.failure(emulator, fault, usps.error(fault.value, message, detail))
        return common.spoil(emulator, fault, _answer(emulator, number, expand))

    return api


def _answer(emulator: Emulator, number: str, expand: str) -> JSONResponse:
    scenario, journey = emulator.journey(CARRIER, number)
    if scenario is Scenario.INVALID:
        return common.answer(400, usps.error(400, "Bad Request", usps.REJECTED))
    if not journey.events:
        return common.answer(400, usps.error(400, "Bad Request", usps.NOT_FOUND))
    body = usps.tracking_response(number, journey, detail=expand.upper() == "DETAIL")
    return common.answer(200, body)
