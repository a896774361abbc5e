"""The notifier query API against a real PostgreSQL, on messages claimed by its handlers."""

from collections.abc import AsyncIterator

import pytest

from services.notifier.headers import message_id
from tests.support import world as seeded
from tests.support.api_client import client

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[seeded.World]:
    async with seeded.world(database_url) as built:
        yield built


async def test_notifications_of_an_order_show_role_and_state_not_addresses(
    world: seeded.World,
) -> None:
    async with client(world.notifier.http) as http:
        response = await http.get(f"/api/v1/orders/{seeded.LATE}/notifications")
    assert response.status_code == 200
    items = response.json()["items"]
    kinds = {n["kind"]: n for n in items}
    assert {"customer_shipped", "seller_ship_by_missed", "customer_delivered_disputed"} <= set(
        kinds
    )
    shipped = kinds["customer_shipped"]
    assert shipped["audience"] == "customer" and shipped["channel"] == "email"
    assert shipped["state"] == "sent"
    assert shipped["trigger_type"] == "tracking.status_changed"
    key = await world.notifier.pool.fetchval(
        "SELECT dedup_key FROM notifications WHERE order_id = $1 AND kind = 'customer_shipped'",
        seeded.LATE,
    )
    assert shipped["message_id"] == message_id(key, seeded.MESSAGE_ID_DOMAIN)
    assert "@example" not in response.text and "@refurb" not in response.text


async def test_notifications_are_paginated(world: seeded.World) -> None:
    url = f"/api/v1/orders/{seeded.LATE}/notifications"
    async with client(world.notifier.http) as http:
        every = (await http.get(url)).json()["items"]
        first = (await http.get(url, params={"limit": 2})).json()
        second = (await http.get(url, params={"limit": 2, "offset": 2})).json()
        too_big = await http.get(url, params={"limit": 500})
    assert len(every) > 2
    assert first["items"] == every[:2] and first["next_offset"] == 2
    assert second["items"] == every[2:4]
    assert too_big.status_code == 422


async def test_unknown_order_is_404_and_a_malformed_id_422(world: seeded.World) -> None:
    async with client(world.notifier.http) as http:
        assert (await http.get("/api/v1/orders/o-404/notifications")).status_code == 404
        assert (await http.get("/api/v1/orders/o%20x/notifications")).status_code == 422


async def test_api_requires_the_bearer_token_when_set(database_url: str) -> None:
    url = f"/api/v1/orders/{seeded.LATE}/notifications"
    async with seeded.world(database_url, token="s3cret") as built:
        async with client(built.notifier.http) as http:
            refused = await http.get(url)
            metrics = await http.get("/metrics")
        async with client(built.notifier.http, token="s3cret") as http:
            allowed = await http.get(url)
    assert refused.status_code == 401
    assert metrics.status_code == 200 and allowed.status_code == 200
