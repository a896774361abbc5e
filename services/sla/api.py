"""The sla service's read-only query API: order SLA state, open breaches and disputes,
seller scorecards."""

from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field, SecretStr

from services.sla import queries
from services.sla.scorecard import OrderRecord, Window, scorecard
from shared.contracts.events import Severity, SlaKind
from shared.contracts.statuses import TrackingStatus
from shared.infra.api import Limit, Offset, Page, guarded, page
from shared.infra.clock import Clock

_ID = r"^[A-Za-z0-9._:-]+$"
IdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=_ID)]
IdQuery = Annotated[str | None, Query(min_length=1, max_length=128, pattern=_ID)]


class Deadlines(BaseModel):
    """The order's open timers: each is null once it fired or no longer applies."""

    confirmation_due_at: datetime | None
    ship_by_due_at: datetime | None = Field(description="Ship-by deadline plus detection grace.")
    delivery_due_at: datetime | None
    stall_due_at: datetime | None
    documents_reminder_at: datetime | None
    documents_overdue_at: datetime | None
    escalation_due_at: datetime | None
    next_due_at: datetime | None = Field(description="The earliest of them.")


class ShipmentSla(BaseModel):
    shipment_id: str
    carrier: str
    tracking_number: str
    registered_at: datetime | None
    invalid_reason: str | None
    status: TrackingStatus | None
    status_since: datetime | None
    last_scan_at: datetime | None
    shipped_at: datetime | None = Field(description="First scan showing the parcel moving.")
    estimated_delivery: date | None = Field(description="The carrier's latest estimate.")
    first_estimated_delivery: date | None = Field(description="The carrier's first estimate.")
    delivered_at: datetime | None


class Dispute(BaseModel):
    case_id: str
    shipment_id: str | None
    reported_at: datetime | None
    documents: list[str] = Field(description="Documents received so far.")
    resolution: str | None
    resolved_at: datetime | None
    expected_delivery: date | None
    documents_deadline: datetime | None


class BreachRecord(BaseModel):
    kind: SlaKind
    severity: Severity
    raised_at: datetime
    resolved_at: datetime | None
    resolution: str | None


class OrderSla(BaseModel):
    """An order's SLA state and deadlines (no customer details)."""

    order_id: str
    seller_id: str | None
    marketplace: str | None
    large: bool
    placed_at: datetime | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    state: str
    ship_by_deadline: datetime | None
    deadlines: Deadlines
    shipments: list[ShipmentSla]
    disputes: list[Dispute]
    breaches: list[BreachRecord]


class OpenBreach(BaseModel):
    order_id: str
    seller_id: str | None
    kind: SlaKind
    severity: Severity
    raised_at: datetime
    state: str = Field(description="The order's SLA state.")
    ship_by_deadline: datetime | None
    next_due_at: datetime | None = Field(description="The order's next deadline.")


class OpenDispute(BaseModel):
    order_id: str
    seller_id: str | None
    case_id: str
    shipment_id: str | None
    reported_at: datetime | None
    documents: list[str]
    expected_delivery: date | None
    documents_deadline: datetime | None = Field(description="When the documents are due.")


class RateValue(BaseModel):
    rate: float | None = Field(description="numerator / denominator; null with no order.")
    numerator: int
    denominator: int


class ScorecardWindow(BaseModel):
    days: int
    late_shipment: RateValue
    valid_tracking: RateValue
    on_time_delivery: RateValue
    dispute: RateValue


class Scorecard(BaseModel):
    """Rates over the trailing windows, computed at ``as_of``; ``seller_id`` null for the
    whole marketplace."""

    seller_id: str | None
    as_of: datetime
    windows: list[ScorecardWindow]


def _windows(windows: list[Window]) -> list[ScorecardWindow]:
    return [
        ScorecardWindow(
            days=w.days,
            **{
                rate.value: RateValue(rate=r.rate, numerator=r.numerator, denominator=r.denominator)
                for rate, r in w.ratios.items()
            },
        )
        for w in windows
    ]


def _order(row: dict[str, Any]) -> OrderSla:
    return OrderSla.model_validate({**row, "deadlines": row})


def router(pool: asyncpg.Pool, clock: Clock, token: SecretStr | None) -> APIRouter:
    """The routes under ``/api/v1``, behind the bearer token when one is set."""
    api = APIRouter(prefix="/api/v1", tags=["query"], dependencies=guarded(token))

    @api.get(
        "/orders/{order_id}",
        summary="An order's SLA state, deadlines, shipments, disputes and breaches",
        responses={404: {"description": "Unknown order"}},
    )
    async def get_order(order_id: IdPath) -> OrderSla:
        row = await queries.order(pool, order_id)
        if row is None:
            raise HTTPException(404, "unknown order")
        return _order(row)

    @api.get("/breaches", summary="Open (unresolved) breaches, newest first")
    async def list_breaches(
        limit: Limit = 50,
        offset: Offset = 0,
        kind: SlaKind | None = None,
        seller_id: IdQuery = None,
        severity: Severity | None = None,
    ) -> Page[OpenBreach]:
        rows = await queries.open_breaches(
            pool,
            kind=kind.value if kind else None,
            seller_id=seller_id,
            severity=severity.value if severity else None,
            limit=limit,
            offset=offset,
        )
        return page([OpenBreach.model_validate(r) for r in rows], limit, offset)

    @api.get("/disputes", summary="Open disputes, the earliest documents deadline first")
    async def list_disputes(limit: Limit = 50, offset: Offset = 0) -> Page[OpenDispute]:
        rows = await queries.open_disputes(pool, limit=limit, offset=offset)
        return page([OpenDispute.model_validate(r) for r in rows], limit, offset)

    @api.get("/scorecard", summary="The marketplace-wide scorecard")
    async def marketplace_scorecard() -> Scorecard:
        now = clock.now()
        records = await queries.scorecard_records(pool, now)
        return Scorecard(seller_id=None, as_of=now, windows=_windows(scorecard(records, now)))

    @api.get("/scorecards", summary="Every seller's scorecard, by seller id")
    async def seller_scorecards(limit: Limit = 50, offset: Offset = 0) -> Page[Scorecard]:
        now = clock.now()
        ids = await queries.sellers(pool, limit=limit, offset=offset)
        records = await queries.scorecard_records(pool, now, ids[:limit])
        by_seller: dict[str, list[OrderRecord]] = {seller: [] for seller in ids}
        for record in records:
            by_seller[record.seller_id].append(record)
        cards = [
            Scorecard(seller_id=seller, as_of=now, windows=_windows(scorecard(rows, now)))
            for seller, rows in by_seller.items()
        ]
        return page(cards, limit, offset)

    @api.get(
        "/sellers/{seller_id}/scorecard",
        summary="A seller's scorecard",
        responses={404: {"description": "No order of this seller"}},
    )
    async def seller_scorecard(seller_id: IdPath) -> Scorecard:
        if not await queries.seller_exists(pool, seller_id):
            raise HTTPException(404, "unknown seller")
        now = clock.now()
        records = await queries.scorecard_records(pool, now, [seller_id])
        return Scorecard(seller_id=seller_id, as_of=now, windows=_windows(scorecard(records, now)))

    return api
