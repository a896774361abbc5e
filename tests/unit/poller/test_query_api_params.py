"""The poller query API's validation, auth and carrier health (no database reached)."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from services.poller.api import carrier_report, router
from services.poller.metrics import PollerMetrics


class NoPool:
    """Any query reaching the database would fail the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the database was queried ({name})")


def app(token: str | None = None) -> FastAPI:
    built = FastAPI()
    metrics = PollerMetrics(CollectorRegistry())
    built.include_router(
        router(NoPool(), metrics, ["ups"], SecretStr(token) if token else None)  # type: ignore[arg-type]
    )
    return built


async def get(built: FastAPI, url: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=built)
    async with httpx.AsyncClient(transport=transport, base_url="http://poller") as http:
        return await http.get(url, **kwargs)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/shipments",
        "/api/v1/shipments?order_id=o-1&tracking_number=1Z1",
        "/api/v1/shipments?order_id=" + "x" * 129,
        "/api/v1/shipments?order_id=o%3Bdrop",
        "/api/v1/shipments?tracking_number=1Z%20999",
        "/api/v1/shipments?order_id=o-1&limit=0",
        "/api/v1/shipments?order_id=o-1&offset=-1",
        "/api/v1/shipments/sh-1/events?limit=1000",
        "/api/v1/shipments/sh%2A1",
    ],
)
async def test_bad_parameters_are_422_before_any_query(url: str) -> None:
    assert (await get(app(), url)).status_code == 422


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic s3cret", "Bearer s3cret2"])
async def test_a_missing_or_wrong_token_is_401(header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = await get(app("s3cret"), "/api/v1/carriers", headers=headers)
    assert response.status_code == 401


async def test_the_right_token_passes() -> None:
    headers = {"Authorization": "Bearer s3cret"}
    assert (await get(app("s3cret"), "/api/v1/carriers", headers=headers)).status_code == 200


def test_carrier_health_from_the_metrics() -> None:
    metrics = PollerMetrics(CollectorRegistry())
    metrics.api_calls.labels("ups", "ok").inc(3)
    metrics.api_calls.labels("ups", "carrier_down").inc(1)
    metrics.api_seconds.labels("ups").observe(0.5)
    metrics.api_seconds.labels("ups").observe(1.5)
    metrics.poll_lag.labels("ups").set(42)
    metrics.breaker_open.labels("ups").set(1)
    [ups, dhl] = carrier_report(metrics, ["ups", "dhl"])
    assert (ups.calls, ups.failed_calls, ups.error_rate) == (4, 1, 0.25)
    assert ups.mean_latency_seconds == 1.0
    assert ups.poll_lag_seconds == 42 and ups.circuit_open
    assert (dhl.calls, dhl.error_rate, dhl.circuit_open) == (0, None, False)
