"""The poller's read-only query API: shipments, their scan history, carrier health."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, HTTPException, Path, Query
from prometheus_client import Metric
from pydantic import BaseModel, Field, SecretStr

from services.poller import queries
from services.poller.metrics import PollerMetrics
from shared.contracts.common import Location
from shared.contracts.statuses import TrackingStatus
from shared.infra.api import Limit, Offset, Page, guarded, page

_ID = r"^[A-Za-z0-9._:-]+$"
IdQuery = Annotated[str | None, Query(min_length=1, max_length=128, pattern=_ID)]
IdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=_ID)]
NumberQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]


class ShipmentState(BaseModel):
    """A shipment's normalized tracking state (the current registration)."""

    shipment_id: str
    order_id: str
    carrier: str
    tracking_number: str
    generation: int = Field(description="Registration number: 1, then +1 per re-registration.")
    lifecycle: str = Field(description="`active`, `done`, `expired` or `invalid`.")
    status: TrackingStatus | None = Field(description="Latest normalized status; null before.")
    tracked_since: datetime
    last_change_at: datetime
    terminal_at: datetime | None
    estimated_delivery: date | None = Field(description="The carrier's latest estimate.")
    delivered_at: datetime | None
    polled_at: datetime | None
    next_poll_at: datetime | None
    last_outcome: str | None = Field(description="Outcome of the last carrier call.")


class Scan(BaseModel):
    """One carrier scan, normalized, with the carrier's own code and text."""

    fingerprint: str
    status: TrackingStatus
    carrier_code: str
    description: str
    occurred_at: datetime | None
    occurred_at_local: str | None
    location: Location | None
    delayed: bool
    source: str = Field(description="`poll` or `push` (carrier webhook).")
    observed_at: datetime


class CarrierHealth(BaseModel):
    """A carrier's API health as this replica saw it since it started."""

    carrier: str
    calls: int
    failed_calls: int = Field(description="Calls whose outcome was not `ok`.")
    error_rate: float | None = Field(description="failed_calls / calls; null without calls.")
    mean_latency_seconds: float | None
    poll_lag_seconds: float
    circuit_open: bool


def router(
    pool: asyncpg.Pool, metrics: PollerMetrics, carriers: list[str], token: SecretStr | None
) -> APIRouter:
    """The routes under ``/api/v1``, behind the bearer token when one is set."""
    api = APIRouter(prefix="/api/v1", tags=["query"], dependencies=guarded(token))

    @api.get("/shipments", summary="Shipments of an order, or with a tracking number")
    async def list_shipments(
        limit: Limit = 50,
        offset: Offset = 0,
        order_id: IdQuery = None,
        tracking_number: NumberQuery = None,
    ) -> Page[ShipmentState]:
        if (order_id is None) == (tracking_number is None):
            raise HTTPException(422, "give exactly one of order_id and tracking_number")
        rows = await queries.shipments(
            pool, order_id=order_id, tracking_number=tracking_number, limit=limit, offset=offset
        )
        if not rows and offset == 0:
            raise HTTPException(404, "no shipment matches")
        return page([ShipmentState.model_validate(r) for r in rows], limit, offset)

    @api.get(
        "/shipments/{shipment_id}",
        summary="A shipment's normalized state",
        responses={404: {"description": "Unknown shipment"}},
    )
    async def get_shipment(shipment_id: IdPath) -> ShipmentState:
        return ShipmentState.model_validate(await _known(shipment_id))

    @api.get(
        "/shipments/{shipment_id}/events",
        summary="A shipment's scan history, in carrier time order",
        responses={404: {"description": "Unknown shipment"}},
    )
    async def shipment_events(
        shipment_id: IdPath, limit: Limit = 100, offset: Offset = 0
    ) -> Page[Scan]:
        found = await _known(shipment_id)
        rows = await queries.scans(
            pool, shipment_id, found["generation"], limit=limit, offset=offset
        )
        return page([Scan.model_validate(r) for r in rows], limit, offset)

    @api.get("/carriers", summary="Carrier API health: error rate, latency, poll lag")
    async def carrier_health() -> list[CarrierHealth]:
        return carrier_report(metrics, carriers)

    async def _known(shipment_id: str) -> dict[str, Any]:
        found = await queries.shipment(pool, shipment_id)
        if found is None:
            raise HTTPException(404, "unknown shipment")
        return found

    return api


def carrier_report(metrics: PollerMetrics, carriers: list[str]) -> list[CarrierHealth]:
    """Each carrier's health from the poller's own metrics."""
    calls = _by_carrier(metrics.api_calls.collect(), "_total", outcome=True)
    seconds = _by_carrier(metrics.api_seconds.collect(), "_sum")
    counted = _by_carrier(metrics.api_seconds.collect(), "_count")
    lag = _by_carrier(metrics.poll_lag.collect(), "")
    breaker = _by_carrier(metrics.breaker_open.collect(), "")
    report = []
    for carrier in carriers:
        total = sum(v for (c, _), v in calls.items() if c == carrier)
        failed = sum(v for (c, o), v in calls.items() if c == carrier and o != "ok")
        count = counted.get((carrier, ""), 0.0)
        report.append(
            CarrierHealth(
                carrier=carrier,
                calls=int(total),
                failed_calls=int(failed),
                error_rate=failed / total if total else None,
                mean_latency_seconds=seconds.get((carrier, ""), 0.0) / count if count else None,
                poll_lag_seconds=lag.get((carrier, ""), 0.0),
                circuit_open=breaker.get((carrier, ""), 0.0) > 0,
            )
        )
    return report


def _by_carrier(
    families: Iterable[Metric], suffix: str, *, outcome: bool = False
) -> dict[tuple[str, str], float]:
    return {
        (s.labels["carrier"], s.labels.get("outcome", "") if outcome else ""): s.value
        for family in families
        for s in family.samples
        if s.name == family.name + suffix
    }
