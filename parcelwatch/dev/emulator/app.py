"""The emulator's ASGI app (composition root) and its uvicorn server."""

from typing import Any

import uvicorn
from fastapi import FastAPI

from parcelwatch.dev.emulator.api import dhl, fedex, ups, usps
from parcelwatch.dev.emulator.settings import EmulatorSettings
from parcelwatch.dev.emulator.state import Emulator
from shared.infra.clock import ScaledClock


def build_app(settings: EmulatorSettings, clock: ScaledClock | None = None) -> FastAPI:
    """One app serving the UPS, FedEx, USPS and DHL tracking APIs on their real paths;
    ``app.state.emulator`` is its state, for in-process tests that count requests."""
    emulator = Emulator(
        settings, clock or ScaledClock(settings.clock_scale, origin=settings.clock_origin)
    )
    app = FastAPI(title="ParcelWatch carrier emulator", docs_url="/_emulator/docs")
    app.state.emulator = emulator
    for carrier in (ups, fedex, usps, dhl):
        app.include_router(carrier.router(emulator))

    @app.get("/healthz", tags=["emulator"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/_emulator/clock", tags=["emulator"])
    async def clock_now() -> dict[str, Any]:
        """Emulated and real time, so other processes can follow the emulated clock."""
        return {
            "emulated": emulator.clock.now().isoformat(),
            "real": emulator.clock.real.now().isoformat(),
            "time_scale": emulator.clock.scale,
        }

    return app


def server(settings: EmulatorSettings, clock: ScaledClock | None = None) -> uvicorn.Server:
    """A uvicorn server for the emulator; ``run()`` blocks, ``serve()`` is awaitable."""
    config = uvicorn.Config(
        build_app(settings, clock),
        host=settings.host,
        port=settings.port,
        log_level="info",
        ws="none",
        lifespan="off",
    )
    return uvicorn.Server(config)
