"""DHL: ``GET /track/shipments?trackingNumber=…`` with a static ``DHL-API-Key``."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from parcelwatch.dev.emulator.api import common
from parcelwatch.dev.emulator.faults import Fault
from parcelwatch.dev.emulator.render import dhl
from parcelwatch.dev.emulator.scenarios import Scenario
from parcelwatch.dev.emulator.state import Emulator

CARRIER = "dhl"
_FAULTS = {
    Fault.RATE_LIMITED: ("Too Many Requests", "Too many requests within defined time period."),
    Fault.SERVER_ERROR: ("Internal Server Error", "An unexpected error occurred."),
    Fault.UNAVAILABLE: ("Service Unavailable", "The service is temporarily unavailable."),
    Fault.UNKNOWN_ERROR: ("Bad Request", "The request could not be processed."),
}


def router(emulator: Emulator) -> APIRouter:
    """The DHL route over ``emulator``; any non-empty key is accepted."""
    api = APIRouter(tags=["DHL"])

    @api.get("/track/shipments")
    async def track(
        request: Request, tracking_number: Annotated[str, Query(alias="trackingNumber")] = ""
    ) -> Response:
        if not request.headers.get("DHL-API-Key"):
            return common.answer(401, dhl.unauthorized())
        number = tracking_number.strip()
        if not number:
            return common.answer(
                400, dhl.problem(400, "Bad Request", "trackingNumber is a required parameter.")
            )
        fault = await emulator.admit(CARRIER, [number])
        if fault is Fault.TOKEN_EXPIRED:
            return common.answer(401, dhl.unauthorized())
        if isinstance(fault, Fault):
            title, detail = _FAULTS[fault]
            return common.failure(emulator, fault, dhl.problem(fault.value, title, detail))
        return common.spoil(emulator, fault, _answer(emulator, number))

    return api


def _answer(emulator: Emulator, number: str) -> JSONResponse:
    scenario, journey = emulator.journey(CARRIER, number)
    if scenario is Scenario.INVALID or not journey.events:
        return common.answer(404, dhl.not_found(number))
    return common.answer(200, dhl.track_response(number, journey))
