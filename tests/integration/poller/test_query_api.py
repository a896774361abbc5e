"""The poller query API against a real PostgreSQL, on a shipment registered by its handler."""

from collections.abc import AsyncIterator

import pytest

from tests.integration.sla.scenarios import PARCEL
from tests.support import world as seeded
from tests.support.api_client import client

pytestmark = pytest.mark.integration

SHIPMENT = PARCEL["shipment_id"]


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[seeded.World]:
    async with seeded.world(database_url) as built:
        yield built


async def test_shipments_are_found_by_order_id_and_by_tracking_number(
    world: seeded.World,
) -> None:
    async with client(world.poller.http) as http:
        by_order = (await http.get("/api/v1/shipments", params={"order_id": seeded.LATE})).json()
        by_number = await http.get("/api/v1/shipments", params={"tracking_number": seeded.NUMBER})
    [shipment] = by_order["items"]
    assert shipment["shipment_id"] == SHIPMENT
    assert shipment["status"] == "delivered"
    assert shipment["lifecycle"] == "done"
    assert shipment["estimated_delivery"] == seeded.ESTIMATE.isoformat()
    assert by_number.json()["items"] == by_order["items"]


async def test_shipment_state_and_scan_history_in_carrier_time_order(
    world: seeded.World,
) -> None:
    async with client(world.poller.http) as http:
        state = (await http.get(f"/api/v1/shipments/{SHIPMENT}")).json()
        events = (await http.get(f"/api/v1/shipments/{SHIPMENT}/events")).json()
        first = (await http.get(f"/api/v1/shipments/{SHIPMENT}/events", params={"limit": 1})).json()
        rest = (
            await http.get(f"/api/v1/shipments/{SHIPMENT}/events", params={"limit": 1, "offset": 1})
        ).json()
    assert state["order_id"] == seeded.LATE
    assert [e["status"] for e in events["items"]] == ["in_transit", "delivered"]
    assert events["items"][0]["location"]["city"] == "Louisville"
    assert events["items"][0]["carrier_code"] == "X"
    assert events["next_offset"] is None
    assert first["items"] == events["items"][:1] and first["next_offset"] == 1
    assert rest["items"] == events["items"][1:] and rest["next_offset"] is None


async def test_unknown_ids_are_404(world: seeded.World) -> None:
    async with client(world.poller.http) as http:
        assert (await http.get("/api/v1/shipments/sh-404")).status_code == 404
        assert (await http.get("/api/v1/shipments/sh-404/events")).status_code == 404
        missing = await http.get("/api/v1/shipments", params={"order_id": "o-404"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"order_id": seeded.LATE, "tracking_number": seeded.NUMBER},
        {"order_id": "bad id"},
        {"tracking_number": "1Z-999"},
        {"order_id": seeded.LATE, "limit": 0},
        {"order_id": seeded.LATE, "limit": 201},
    ],
)
async def test_bad_query_parameters_are_422(world: seeded.World, params: dict[str, object]) -> None:
    async with client(world.poller.http) as http:
        response = await http.get("/api/v1/shipments", params=params)  # type: ignore[arg-type]
    assert response.status_code == 422


async def test_carrier_health_lists_every_carrier(world: seeded.World) -> None:
    async with client(world.poller.http) as http:
        health = (await http.get("/api/v1/carriers")).json()
    assert [c["carrier"] for c in health] == ["dhl", "fedex", "ups", "usps"]
    assert health[2] == {
        "carrier": "ups",
        "calls": 0,
        "failed_calls": 0,
        "error_rate": None,
        "mean_latency_seconds": None,
        "poll_lag_seconds": 0.0,
        "circuit_open": False,
    }


async def test_api_requires_the_bearer_token_when_set(database_url: str) -> None:
    async with seeded.world(database_url, token="s3cret") as built:
        async with client(built.poller.http) as http:
            refused = await http.get(f"/api/v1/shipments/{SHIPMENT}")
            ready = await http.get("/healthz")
        async with client(built.poller.http, token="s3cret") as http:
            allowed = await http.get(f"/api/v1/shipments/{SHIPMENT}")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert ready.status_code == 200 and allowed.status_code == 200
