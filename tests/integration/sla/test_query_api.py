"""The sla query API against a real PostgreSQL, on orders seeded through its handlers."""

from collections.abc import AsyncIterator

import pytest

from services.sla.scorecard_gauges import ScorecardGauges
from tests.integration.sla.scenarios import DEADLINE
from tests.support import world as seeded
from tests.support.api_client import client

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[seeded.World]:
    async with seeded.world(database_url) as built:
        yield built


async def test_order_shows_state_deadlines_shipments_disputes_and_breaches(
    world: seeded.World,
) -> None:
    async with client(world.sla.http) as http:
        response = await http.get(f"/api/v1/orders/{seeded.LATE}")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "disputed"
    assert body["seller_id"] == seeded.SELLER
    assert body["ship_by_deadline"] == DEADLINE.isoformat().replace("+00:00", "Z")
    [shipment] = body["shipments"]
    assert shipment["tracking_number"] == seeded.NUMBER
    assert shipment["first_estimated_delivery"] == seeded.ESTIMATE.isoformat()
    assert shipment["status"] == "delivered"
    [dispute] = body["disputes"]
    assert dispute["documents_deadline"] is not None
    kinds = {b["kind"]: b["resolved_at"] is None for b in body["breaches"]}
    assert kinds == {"ship_by_missed": False, "delivered_disputed": True}
    assert body["deadlines"]["documents_reminder_at"] is not None
    assert "email" not in response.text and "Ada" not in response.text


async def test_unknown_order_is_404_and_a_malformed_id_422(world: seeded.World) -> None:
    async with client(world.sla.http) as http:
        assert (await http.get("/api/v1/orders/nope")).status_code == 404
        assert (await http.get("/api/v1/orders/bad%20id")).status_code == 422


async def test_open_breaches_filter_by_kind_seller_and_severity(world: seeded.World) -> None:
    async with client(world.sla.http) as http:
        every = (await http.get("/api/v1/breaches")).json()
        missed = (await http.get("/api/v1/breaches", params={"kind": "ship_by_missed"})).json()
        other_seller = (await http.get("/api/v1/breaches", params={"seller_id": "s-2"})).json()
        ops = (await http.get("/api/v1/breaches", params={"severity": "ops"})).json()
        seller = (await http.get("/api/v1/breaches", params={"severity": "seller"})).json()
        bad = await http.get("/api/v1/breaches", params={"kind": "sunburn"})
    assert {(b["order_id"], b["kind"]) for b in every["items"]} == {
        (seeded.UNSHIPPED, "ship_by_missed"),
        (seeded.UNSHIPPED, "ship_promise_missed"),  # the customer's promise passed too
        (seeded.LATE, "delivered_disputed"),
    }
    assert [b["order_id"] for b in missed["items"]] == [seeded.UNSHIPPED]
    assert other_seller["items"] == []
    # a day unshipped: escalated to operations
    assert [b["order_id"] for b in ops["items"]] == [seeded.UNSHIPPED]
    assert {(b["order_id"], b["kind"]) for b in seller["items"]} == {
        (seeded.UNSHIPPED, "ship_promise_missed"),  # the customer's: never escalated
        (seeded.LATE, "delivered_disputed"),
    }
    assert bad.status_code == 422


async def test_breaches_are_paginated_with_a_maximum_page_size(world: seeded.World) -> None:
    async with client(world.sla.http) as http:
        first = (await http.get("/api/v1/breaches", params={"limit": 1})).json()
        second = (await http.get("/api/v1/breaches", params={"limit": 1, "offset": 1})).json()
        too_big = await http.get("/api/v1/breaches", params={"limit": 201})
        negative = await http.get("/api/v1/breaches", params={"offset": -1})
    assert len(first["items"]) == 1 and first["next_offset"] == 1
    assert len(second["items"]) == 1 and second["next_offset"] == 2
    assert first["items"] != second["items"]
    assert too_big.status_code == 422 and negative.status_code == 422


async def test_open_disputes_show_their_documents_deadline(world: seeded.World) -> None:
    async with client(world.sla.http) as http:
        body = (await http.get("/api/v1/disputes")).json()
    [dispute] = body["items"]
    assert dispute["order_id"] == seeded.LATE
    assert dispute["documents_deadline"] is not None
    assert dispute["documents"] == []


async def test_seller_scorecard_counts_the_late_shipment_and_the_dispute(
    world: seeded.World,
) -> None:
    async with client(world.sla.http) as http:
        card = (await http.get(f"/api/v1/sellers/{seeded.SELLER}/scorecard")).json()
        unknown = await http.get("/api/v1/sellers/s-404/scorecard")
        every = (await http.get("/api/v1/scorecards")).json()
        marketplace = (await http.get("/api/v1/scorecard")).json()
    week = card["windows"][0]
    assert week["days"] == 7 and card["windows"][1]["days"] == 30
    assert week["late_shipment"] == {"rate": 1.0, "numerator": 2, "denominator": 2}
    assert week["valid_tracking"] == {"rate": 1.0, "numerator": 1, "denominator": 1}
    assert week["on_time_delivery"] == {"rate": 1.0, "numerator": 1, "denominator": 1}
    assert week["dispute"] == {"rate": 1.0, "numerator": 1, "denominator": 1}
    assert unknown.status_code == 404
    assert [c["seller_id"] for c in every["items"]] == [seeded.SELLER]
    assert marketplace["seller_id"] is None
    assert marketplace["windows"] == card["windows"]


async def test_scorecard_gauges_are_marketplace_wide(world: seeded.World) -> None:
    [gauges] = [
        bound
        for task in world.sla.tasks
        if isinstance(bound := getattr(task, "__self__", None), ScorecardGauges)
    ]
    await gauges.refresh()
    [family] = [
        f
        for f in world.sla.metrics.registry.collect()
        if f.name == "parcelwatch_sla_scorecard_ratio"
    ]
    values = {(s.labels["rate"], s.labels["window"]): s.value for s in family.samples}
    assert {tuple(sorted(s.labels)) for s in family.samples} == {("rate", "window")}
    assert len(values) == 8
    assert values[("late_shipment", "7d")] == 1.0
    assert values[("dispute", "30d")] == 1.0


async def test_api_requires_the_bearer_token_when_set(database_url: str) -> None:
    async with seeded.world(database_url, token="s3cret") as built:
        async with client(built.sla.http) as http:
            missing = await http.get(f"/api/v1/orders/{seeded.LATE}")
            wrong = await http.get(
                f"/api/v1/orders/{seeded.LATE}", headers={"Authorization": "Bearer nope"}
            )
            health = await http.get("/healthz")
            metrics = await http.get("/metrics")
        async with client(built.sla.http, token="s3cret") as http:
            allowed = await http.get(f"/api/v1/orders/{seeded.LATE}")
    assert missing.status_code == 401 and wrong.status_code == 401
    assert health.status_code == 200 and metrics.status_code == 200
    assert allowed.status_code == 200


async def test_openapi_documents_the_query_routes(world: seeded.World) -> None:
    async with client(world.sla.http) as http:
        spec = (await http.get("/openapi.json")).json()
    assert {"/api/v1/orders/{order_id}", "/api/v1/breaches", "/api/v1/disputes"} <= set(
        spec["paths"]
    )
    assert "OrderSla" in spec["components"]["schemas"]
