"""The sla analytics API against a real PostgreSQL, on carrier journeys of known shape played
through the service's own handlers (tests/support/journeys.py); expected values come from
those journeys and the documented definitions (docs/api.md)."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from services.sla.analytics_gauges import AnalyticsGauges
from services.sla.entrypoint import build_app
from services.sla.settings import SlaSettings
from shared.infra.service import Service
from tests.support import journeys
from tests.support.api_client import client
from tests.support.clock import FakeClock

pytestmark = pytest.mark.integration

HOURS = 3600.0
TOLERANCE = 0.022
"""Percentiles are estimated within half a bucket, 2.2 % (docs/api.md)."""


@pytest.fixture
async def sla(database_url: str) -> AsyncIterator[Service]:
    settings = SlaSettings(
        database_url=database_url,
        database_pool_max=4,
        kafka_bootstrap_servers="127.0.0.1:1",
        http_port=1,
    )
    clock = FakeClock(journeys.T0)
    service = await build_app(settings, clock=clock)
    try:
        await journeys.play(service, clock)
        yield service
    finally:
        await service.pool.close()


def _close(estimate: float | None, exact: float) -> bool:
    return estimate is not None and abs(estimate - exact) <= TOLERANCE * exact


def _rate(numerator: int, denominator: int) -> dict[str, Any]:
    rate = numerator / denominator if denominator else None
    return {"rate": rate, "numerator": numerator, "denominator": denominator}


async def test_carrier_performance_counts_each_ended_journey_once(sla: Service) -> None:
    async with client(sla.http) as http:
        body = (await http.get("/api/v1/carriers/performance", params={"days": 30})).json()
    assert (body["since"], body["until"]) == ("2026-10-29", "2026-11-27")
    carriers = {c["carrier"]: c for c in body["carriers"]}
    assert list(carriers) == ["dhl", "fedex", "ups"]
    ups = carriers["ups"]
    # on time, late and returned; the parcels still moving do not count
    assert ups["shipments"] == 3
    assert ups["transit"]["samples"] == 2
    assert _close(ups["transit"]["p50_seconds"], 48 * HOURS)  # nearest rank: 1st of 2
    assert _close(ups["transit"]["p90_seconds"], 94 * HOURS)  # 2nd of 2
    assert ups["label_to_first_scan"]["samples"] == 3
    assert _close(ups["label_to_first_scan"]["p50_seconds"], 3 * HOURS)  # 2, 3, 4 hours
    assert _close(ups["label_to_first_scan"]["p90_seconds"], 4 * HOURS)
    # judged against the first estimate (Wednesday), not the revised one (Friday)
    assert ups["on_time"] == _rate(1, 2)
    assert ups["exception"] == _rate(1, 3)
    assert ups["delivery_attempt"] == _rate(0, 3)
    assert ups["return_to_sender"] == _rate(1, 3)
    fedex = carriers["fedex"]
    assert fedex["shipments"] == 1
    assert _close(fedex["transit"]["p50_seconds"], 87 * HOURS)
    assert fedex["on_time"] == _rate(0, 0)  # no estimate: not judged
    assert fedex["delivery_attempt"] == _rate(1, 1)
    assert _close(carriers["dhl"]["transit"]["p90_seconds"], 47 * HOURS)
    lanes = {
        (lane["carrier"], lane["seller_country"], lane["customer_country"]): lane
        for lane in body["lanes"]
    }
    # the dhl parcel's lane moved from unknown to US -> US when the order's details came
    assert set(lanes) == {("dhl", "US", "US"), ("fedex", "US", "FR"), ("ups", "US", "US")}
    assert lanes["dhl", "US", "US"]["shipments"] == 1
    assert lanes["ups", "US", "US"]["shipments"] == 3


async def test_the_window_counts_journeys_by_the_day_they_ended(sla: Service) -> None:
    async with client(sla.http) as http:
        # Thursday and Friday (UTC): the returned parcel (Thu) and the two Friday deliveries
        two = (await http.get("/api/v1/carriers/performance", params={"days": 2})).json()
        too_long = await http.get("/api/v1/carriers/performance", params={"days": 366})
        empty = await http.get("/api/v1/carriers/performance", params={"days": 0})
    assert two["since"] == "2026-11-26"
    assert {c["carrier"]: c["shipments"] for c in two["carriers"]} == {"fedex": 1, "ups": 2}
    assert too_long.status_code == 422 and empty.status_code == 422


async def test_the_rollup_matches_the_journeys_it_was_built_from(
    sla: Service, database_url: str
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert await journeys.rollup_mismatches(conn) == {}
        assert await conn.fetchval("SELECT count(*) FROM sla.carrier_journeys") == 5
    finally:
        await conn.close()


async def test_the_rollup_check_catches_a_count_off_by_one(sla: Service, database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE sla.carrier_performance SET shipments = shipments + 1"
            " WHERE carrier = 'fedex' AND measure = 'shipments'"
        )
        mismatches = await journeys.rollup_mismatches(conn)
    finally:
        await conn.close()
    assert [(key[1], key[4], counts) for key, counts in mismatches.items()] == [
        ("fedex", "shipments", (1, 2))
    ]


async def test_breach_trend_counts_a_breach_on_the_day_it_opened(sla: Service) -> None:
    async with client(sla.http) as http:
        body = (await http.get("/api/v1/trends/breaches", params={"days": 7})).json()
    assert body["days"] == [f"2026-11-{d}" for d in range(21, 28)]
    kinds = {k["kind"]: k for k in body["kinds"]}
    # j-unshipped: opened Tuesday, escalated Wednesday (not a new breach), resolved Thursday
    assert kinds["ship_by_missed"] == {
        "kind": "ship_by_missed",
        "opened": [0, 0, 0, 1, 0, 0, 0],
        "resolved": [0, 0, 0, 0, 0, 1, 0],
    }
    for series in kinds.values():
        assert len(series["opened"]) == len(series["resolved"]) == 7


async def test_late_shipment_trend_is_per_seller_and_week(sla: Service) -> None:
    async with client(sla.http) as http:
        body = (await http.get("/api/v1/trends/late-shipments", params={"weeks": 2})).json()
    assert body["weeks"] == ["2026-11-16", "2026-11-23"]
    # seven orders with Monday's deadline; j-unshipped is the one not moving by it
    assert body["marketplace"] == [_rate(0, 0), _rate(1, 7)]
    [seller] = body["items"]
    assert (seller["seller_id"], seller["orders"], seller["late"]) == (
        journeys.SELLER.id,
        7,
        1,
    )
    assert seller["weeks"] == body["marketplace"]
    assert body["next_offset"] is None


async def test_dispute_trend_is_empty_weeks_without_disputes(sla: Service) -> None:
    async with client(sla.http) as http:
        body = (await http.get("/api/v1/trends/disputes", params={"weeks": 3})).json()
    assert body["weeks"] == ["2026-11-09", "2026-11-16", "2026-11-23"]
    assert body["reported"] == body["resolved"] == [0, 0, 0]


async def test_gauges_show_the_last_seven_days_per_carrier(sla: Service) -> None:
    [gauges] = [
        bound
        for task in sla.tasks
        if isinstance(bound := getattr(task, "__self__", None), AnalyticsGauges)
    ]
    await gauges.refresh()
    registry: CollectorRegistry = sla.metrics.registry
    assert registry.get_sample_value("parcelwatch_sla_carrier_journeys", {"carrier": "ups"}) == 3
    on_time = {"carrier": "ups", "rate": "on_time"}
    assert registry.get_sample_value("parcelwatch_sla_carrier_ratio", on_time) == 0.5
    p90 = registry.get_sample_value(
        "parcelwatch_sla_carrier_transit_seconds", {"carrier": "ups", "quantile": "0.9"}
    )
    assert p90 is not None and _close(p90, 94 * HOURS)
    opened = {"kind": "ship_by_missed", "change": "opened"}
    # Tuesday's opening is more than a day before Friday 18:00
    assert registry.get_sample_value("parcelwatch_sla_breaches_last_day", opened) == 0
    resolved = {"change": "resolved"}
    assert registry.get_sample_value("parcelwatch_sla_disputes_last_week", resolved) == 0


async def test_openapi_documents_the_analytics_routes(sla: Service) -> None:
    async with client(sla.http) as http:
        spec = (await http.get("/openapi.json")).json()
    performance = spec["paths"]["/api/v1/carriers/performance"]["get"]
    [days] = [p for p in performance["parameters"] if p["name"] == "days"]
    assert (days["schema"]["minimum"], days["schema"]["maximum"]) == (1, 365)
    assert {
        "/api/v1/trends/breaches",
        "/api/v1/trends/late-shipments",
        "/api/v1/trends/disputes",
    } <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert {"PerformanceReport", "BreachTrend", "LateShipmentTrend", "DisputeTrend"} <= set(schemas)
    on_time = schemas["CarrierPerformance"]["properties"]["on_time"]
    assert "first estimated day" in on_time["description"]
