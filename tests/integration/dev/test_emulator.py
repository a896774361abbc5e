"""The emulator served by uvicorn on a real port, called by the project's carrier clients."""

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from parcelwatch.dev.emulator.app import server
from parcelwatch.dev.emulator.scenarios import CARRIERS, Scenario, number_for
from parcelwatch.dev.emulator.settings import EmulatorSettings
from services.poller.carriers.base import CarrierDown, ParsedShipment
from services.poller.carriers.registry import registry
from shared.contracts.statuses import TrackingStatus as S

CREDENTIALS: dict[str, dict[str, str]] = {
    "ups": {"client_id": "pw-id", "client_secret": "pw-secret"},
    "fedex": {"api_key": "pw-key", "secret_key": "pw-secret"},
    "usps": {"client_id": "pw-id", "client_secret": "pw-secret"},
    "dhl": {"api_key": "pw-key"},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    """An emulator running an emulated hour every 0.01 s, with 0.5 s slow responses."""
    settings = EmulatorSettings(port=_free_port(), clock_scale=360_000, slow_seconds=0.5)
    running = server(settings)
    task = asyncio.create_task(running.serve())
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline and not task.done(), "emulator did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"http://{settings.host}:{settings.port}"
    finally:
        running.should_exit = True
        await task


def _client(carrier: str, base_url: str, http: httpx.AsyncClient) -> Any:
    return registry()[carrier].build_client({"base_url": base_url, **CREDENTIALS[carrier]}, http)


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_an_on_time_parcel_is_delivered_over_http(base_url: str, carrier: str) -> None:
    number = number_for(carrier, Scenario.ON_TIME, 99)
    async with httpx.AsyncClient(timeout=5) as http:
        client = _client(carrier, base_url, http)
        first = (await client.track([number]))[number]
        deadline = time.monotonic() + 10
        latest = first
        while latest.status is not S.DELIVERED:
            assert time.monotonic() < deadline, f"still {latest.status} after 10 s"
            await asyncio.sleep(0.05)
            latest = (await client.track([number]))[number]

    assert isinstance(first, ParsedShipment)
    assert first.status is S.LABEL_CREATED
    assert latest.signed_by == "K LEE"


@pytest.mark.parametrize("carrier", CARRIERS)
async def test_a_slow_response_times_the_client_out(base_url: str, carrier: str) -> None:
    number = number_for(carrier, Scenario.SLOW, 1)
    async with httpx.AsyncClient(timeout=httpx.Timeout(5, read=0.1)) as http:
        outcome = (await _client(carrier, base_url, http).track([number]))[number]

    assert isinstance(outcome, CarrierDown)
    assert "timeout" in outcome.detail


@pytest.fixture
def cli_emulator() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "parcelwatch.cli", "dev", "carriers"),
            *("--port", str(port), "--time-scale", "3600"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_parcelwatch_dev_carriers_serves_on_the_given_port(cli_emulator: str) -> None:
    deadline = time.monotonic() + 60  # the CLI imports every service: slow on a loaded machine
    while True:
        try:
            response = httpx.get(f"{cli_emulator}/_emulator/clock", timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "parcelwatch dev carriers did not start"
            time.sleep(0.1)

    assert response.json()["time_scale"] == 3600
