"""The emulator app on an in-process transport, with a clock tests move by hand."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from parcelwatch.dev.emulator.app import build_app
from parcelwatch.dev.emulator.settings import EmulatorSettings
from services.poller.carriers.base import CarrierClient
from services.poller.carriers.registry import registry
from shared.infra.clock import ScaledClock
from tests.support.clock import FakeClock

BASE_URL = "http://emulator.test"
CREDENTIALS: dict[str, dict[str, str]] = {
    "ups": {"client_id": "pw-id", "client_secret": "pw-secret"},
    "fedex": {"api_key": "pw-key", "secret_key": "pw-secret"},
    "usps": {"client_id": "pw-id", "client_secret": "pw-secret"},
    "dhl": {"api_key": "pw-key"},
}


@dataclass
class Emulated:
    """The emulator under test: its real clock (scale 1) and every request it answered."""

    real: FakeClock
    http: httpx.AsyncClient
    log: list[tuple[str, int]] = field(default_factory=list)

    def client(self, carrier: str) -> CarrierClient:
        """The project's own client of ``carrier``, pointed at the emulator."""
        settings = {"base_url": BASE_URL, **CREDENTIALS[carrier]}
        return registry()[carrier].build_client(settings, self.http)

    def statuses(self, path_part: str) -> list[int]:
        """HTTP statuses of the requests whose path contains ``path_part``, in order."""
        return [status for path, status in self.log if path_part in path]


@pytest.fixture
async def emulated() -> AsyncIterator[Emulated]:
    real = FakeClock(datetime(2024, 5, 6, 12, 0, tzinfo=UTC))
    settings = EmulatorSettings(clock_scale=1, token_ttl=600, retry_after=2, slow_seconds=0.05)
    app = build_app(settings, ScaledClock(settings.clock_scale, real=real))
    log: list[tuple[str, int]] = []

    async def record(response: httpx.Response) -> None:
        log.append((response.request.url.path, response.status_code))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, event_hooks={"response": [record]}
    ) as http:
        yield Emulated(real, http, log)
