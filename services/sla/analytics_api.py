"""The sla service's analytics API: carrier performance and SLA trends, for charts.

Every series is dense (one value per day or week of the window, zeros included) and
windows end with the service clock's current UTC day or week (weeks start on Monday).
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, SecretStr

from services.sla import analytics_queries as queries
from services.sla.api import RateValue
from services.sla.performance import Durations, Performance
from services.sla.scorecard import Ratio
from shared.contracts.events import SlaKind
from shared.infra.api import Limit, Offset, Page, guarded, page
from shared.infra.clock import Clock

Days = Annotated[int, Query(ge=1, le=365, description="Window length in days, today included.")]
Weeks = Annotated[
    int, Query(ge=1, le=52, description="Window length in weeks, this week included.")
]


class DurationStats(BaseModel):
    """Percentiles estimated within 2.2 % (half a logarithmic bucket), in whole seconds."""

    p50_seconds: float | None = Field(description="Median; null without samples.")
    p90_seconds: float | None
    samples: int


class PerformanceStats(BaseModel):
    shipments: int = Field(description="Journeys that ended in the window: delivered or returned.")
    transit: DurationStats = Field(description="First carrier scan to delivery.")
    label_to_first_scan: DurationStats = Field(
        description="Label (label-created scan, or registration) to the first carrier scan."
    )
    on_time: RateValue = Field(
        description="Delivered by the end of the carrier's first estimated day (customer's "
        "time zone), of the delivered journeys with an estimate."
    )
    exception: RateValue = Field(description="Journeys with a carrier exception scan.")
    delivery_attempt: RateValue = Field(description="Journeys with a failed delivery attempt.")
    return_to_sender: RateValue = Field(description="Journeys that ended returned to sender.")


class _Carrier(BaseModel):
    carrier: str


class _Lane(_Carrier):
    seller_country: str | None = Field(description="Null while the order's details are unknown.")
    customer_country: str | None


class CarrierPerformance(PerformanceStats, _Carrier):
    """One carrier's performance (its fields first)."""


class LanePerformance(PerformanceStats, _Lane):
    """One carrier's performance on one lane: seller country → customer country."""


class PerformanceReport(BaseModel):
    """Carrier performance over the journeys that ended from ``since`` to ``until``."""

    days: int
    since: date
    until: date
    as_of: datetime
    carriers: list[CarrierPerformance] = Field(description="By carrier slug.")
    lanes: list[LanePerformance] = Field(description="By carrier, seller and customer country.")


class KindSeries(BaseModel):
    kind: SlaKind
    opened: list[int] = Field(description="Breaches first raised each day.")
    resolved: list[int] = Field(description="Breaches resolved each day.")


class BreachTrend(BaseModel):
    """Breaches opened and resolved per UTC day, for each kind seen in the window."""

    as_of: datetime
    days: list[date]
    kinds: list[KindSeries]


class SellerWeeks(BaseModel):
    seller_id: str
    orders: int = Field(description="Ship-by deadlines in the window.")
    late: int = Field(description="Of those, not scanned moving by the deadline.")
    weeks: list[RateValue]


class LateShipmentTrend(Page[SellerWeeks]):
    """Late-shipment rate per week: marketplace-wide, and per seller, the sellers with the
    most late shipments first."""

    as_of: datetime
    weeks: list[date] = Field(description="Each week's Monday.")
    marketplace: list[RateValue]


class DisputeTrend(BaseModel):
    """Delivered-but-disputed reports and their resolutions per week."""

    as_of: datetime
    weeks: list[date] = Field(description="Each week's Monday.")
    reported: list[int]
    resolved: list[int]


def _rate(ratio: Ratio) -> RateValue:
    return RateValue(rate=ratio.rate, numerator=ratio.numerator, denominator=ratio.denominator)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value)


def _durations(d: Durations) -> DurationStats:
    return DurationStats(
        p50_seconds=_seconds(d.p50), p90_seconds=_seconds(d.p90), samples=d.samples
    )


def _stats(p: Performance) -> dict[str, object]:
    return {
        "shipments": p.shipments,
        "transit": _durations(p.transit),
        "label_to_first_scan": _durations(p.first_scan),
        "on_time": _rate(p.on_time),
        "exception": _rate(p.exception),
        "delivery_attempt": _rate(p.attempt),
        "return_to_sender": _rate(p.returned),
    }


def _steps(first: date, last: date, step: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(0, (last - first).days + 1, step)]


def router(pool: asyncpg.Pool, clock: Clock, token: SecretStr | None) -> APIRouter:
    """The analytics routes under ``/api/v1``, behind the bearer token when one is set."""
    api = APIRouter(prefix="/api/v1", tags=["analytics"], dependencies=guarded(token))

    @api.get(
        "/carriers/performance",
        summary="Transit times, on-time rate and exception, attempt and return rates of each "
        "carrier and lane, over the journeys that ended in the last `days` days",
    )
    async def carrier_performance(days: Days = 30) -> PerformanceReport:
        now = clock.now()
        until = queries.utc_date(now)
        since = queries.first_day(until, days)
        found = await queries.performance(pool, since, until)
        return PerformanceReport(
            days=days,
            since=since,
            until=until,
            as_of=now,
            carriers=[
                CarrierPerformance(carrier=carrier, **_stats(p))
                for carrier, p in found.carriers.items()
            ],
            lanes=[
                LanePerformance(
                    carrier=carrier,
                    seller_country=seller or None,
                    customer_country=customer or None,
                    **_stats(p),
                )
                for (carrier, seller, customer), p in found.lanes.items()
            ],
        )

    @api.get("/trends/breaches", summary="Breaches opened and resolved per day, by kind")
    async def breach_trend(days: Days = 30) -> BreachTrend:
        now = clock.now()
        today = queries.utc_date(now)
        grid = _steps(queries.first_day(today, days), today, 1)
        series: dict[str, dict[str, list[int]]] = {}
        for change, kind, day, n in await queries.breaches_by_day(
            pool, queries.start_of(grid[0]), now
        ):
            counts = series.setdefault(kind, {"opened": [0] * days, "resolved": [0] * days})
            counts[change][(day - grid[0]).days] = n
        kinds = [KindSeries(kind=SlaKind(k), **series[k]) for k in sorted(series)]
        return BreachTrend(as_of=now, days=grid, kinds=kinds)

    @api.get(
        "/trends/late-shipments",
        summary="Late-shipment rate per week, marketplace-wide and per seller (most late first)",
    )
    async def late_shipment_trend(
        weeks: Weeks = 8, limit: Limit = 50, offset: Offset = 0
    ) -> LateShipmentTrend:
        now = clock.now()
        today = queries.utc_date(now)
        grid = _steps(queries.first_week(today, weeks), today, 7)
        per_seller: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in grid])
        for seller, week, orders, late in await queries.late_shipments_by_week(
            pool, queries.start_of(grid[0]), now
        ):
            per_seller[seller][(week - grid[0]).days // 7] = [late, orders]
        marketplace = [
            Ratio(
                sum(s[i][0] for s in per_seller.values()), sum(s[i][1] for s in per_seller.values())
            )
            for i in range(len(grid))
        ]
        sellers = sorted(
            per_seller.items(), key=lambda item: (-sum(w[0] for w in item[1]), item[0])
        )
        rows = [
            SellerWeeks(
                seller_id=seller,
                orders=sum(w[1] for w in counts),
                late=sum(w[0] for w in counts),
                weeks=[_rate(Ratio(late, orders)) for late, orders in counts],
            )
            for seller, counts in sellers[offset : offset + limit + 1]
        ]
        found = page(rows, limit, offset)
        return LateShipmentTrend(
            items=found.items,
            limit=limit,
            offset=offset,
            next_offset=found.next_offset,
            as_of=now,
            weeks=grid,
            marketplace=[_rate(r) for r in marketplace],
        )

    @api.get("/trends/disputes", summary="Disputes reported and resolved per week")
    async def dispute_trend(weeks: Weeks = 8) -> DisputeTrend:
        now = clock.now()
        today = queries.utc_date(now)
        grid = _steps(queries.first_week(today, weeks), today, 7)
        counts = {"reported": [0] * len(grid), "resolved": [0] * len(grid)}
        for change, week, n in await queries.disputes_by_week(pool, queries.start_of(grid[0]), now):
            counts[change][(week - grid[0]).days // 7] = n
        return DisputeTrend(as_of=now, weeks=grid, **counts)

    return api
