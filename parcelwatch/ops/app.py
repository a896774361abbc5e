"""The ops page's server: static files, and two JSON endpoints that call the query APIs
server-side (one origin for the browser, the API token never leaves the server)."""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from parcelwatch.ops import timeline
from parcelwatch.ops.settings import OpsSettings

STATIC = Path(__file__).parent / "static"
_NUMBER = re.compile(r"^[A-Za-z0-9]{1,64}$")
_PAGE = {"limit": 200}
SELLER_LINES = 6
"""Sellers drawn on the late-shipment chart: those with the most late shipments."""


class Upstream(Exception):
    """A query API did not answer as expected."""


class Apis:
    """The three query APIs and the inbox, through one HTTP client."""

    def __init__(self, settings: OpsSettings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        token = settings.api_token
        self._headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}

    async def get(self, service: str, path: str, **params: Any) -> Any | None:
        """The JSON answer of ``service``'s API, or None on 404."""
        base = str(getattr(self._settings, f"{service}_url")).rstrip("/")
        try:
            response = await self._http.get(
                f"{base}/api/v1{path}", params=params, headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise Upstream(f"{service}: {type(exc).__name__}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise Upstream(f"{service}: HTTP {response.status_code}")
        return response.json()

    async def all_pages(self, service: str, path: str) -> list[Any]:
        """Every item of a paginated list (empty when the list is unknown)."""
        items: list[Any] = []
        offset: int | None = 0
        while offset is not None:
            page = await self.get(service, path, offset=offset, **_PAGE)
            if page is None:
                break
            items += page["items"]
            offset = page["next_offset"]
        return items

    async def message_links(self) -> dict[str, str]:
        """Message-ID → inbox page of every captured e-mail; empty if the inbox is away."""
        inbox = str(self._settings.inbox_url).rstrip("/")
        try:
            response = await self._http.get(f"{inbox}/api/messages")
            response.raise_for_status()
            messages = response.json()
        except (httpx.HTTPError, ValueError):
            return {}
        return {m["message_id"]: f"{inbox}/messages/{m['name']}" for m in messages}


async def _section(call: Any) -> dict[str, Any]:
    try:
        return {"data": await call}
    except Upstream as exc:
        return {"error": str(exc)}


def build_app(settings: OpsSettings, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The ops page app; ``transport`` replaces the network in tests."""
    http = httpx.AsyncClient(transport=transport, timeout=settings.timeout)
    apis = Apis(settings, http)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await http.aclose()

    app = FastAPI(title="ParcelWatch ops", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/overview", summary="Open breaches and disputes, carriers, scorecards")
    async def overview() -> dict[str, Any]:
        names = ("breaches", "disputes", "carriers", "marketplace", "scorecards")
        sections = await asyncio.gather(
            _section(apis.get("sla", "/breaches", **_PAGE)),
            _section(apis.get("sla", "/disputes", **_PAGE)),
            _section(apis.get("poller", "/carriers")),
            _section(apis.get("sla", "/scorecard")),
            _section(apis.get("sla", "/scorecards", **_PAGE)),
        )
        return dict(zip(names, sections, strict=True))

    @app.get("/api/analytics", summary="Carrier performance and SLA trends, for the charts")
    async def analytics(
        days: Annotated[int, Query(ge=1, le=365)] = 30,
        weeks: Annotated[int, Query(ge=1, le=52)] = 8,
    ) -> dict[str, Any]:
        names = ("performance", "breaches", "late_shipments", "disputes")
        sections = await asyncio.gather(
            _section(apis.get("sla", "/carriers/performance", days=days)),
            _section(apis.get("sla", "/trends/breaches", days=days)),
            _section(apis.get("sla", "/trends/late-shipments", weeks=weeks, limit=SELLER_LINES)),
            _section(apis.get("sla", "/trends/disputes", weeks=weeks)),
        )
        return dict(zip(names, sections, strict=True))

    @app.get("/api/timeline", summary="Everything that happened to an order")
    async def order_timeline(
        q: Annotated[str, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")],
    ) -> dict[str, Any]:
        try:
            return await _timeline(apis, q, str(settings.inbox_url).rstrip("/"))
        except Upstream as exc:
            raise HTTPException(502, str(exc)) from exc

    return app


async def _timeline(apis: Apis, q: str, inbox_url: str) -> dict[str, Any]:
    order_id = q
    order = await apis.get("sla", f"/orders/{q}")
    if order is None and _NUMBER.match(q):
        found = await apis.get("poller", "/shipments", tracking_number=q)
        if found is not None:
            order_id = found["items"][0]["order_id"]
            order = await apis.get("sla", f"/orders/{order_id}")
    shipments = await apis.get("poller", "/shipments", order_id=order_id, **_PAGE)
    shipment_ids = [s["shipment_id"] for s in (shipments or {"items": []})["items"]]
    scans = {
        sid: await apis.all_pages("poller", f"/shipments/{sid}/events") for sid in shipment_ids
    }
    notifications = await apis.all_pages("notifier", f"/orders/{order_id}/notifications")
    if order is None and not shipment_ids and not notifications:
        raise HTTPException(404, f"no order or tracking number {q}")
    links = await apis.message_links() if notifications else {}
    entries = timeline.build(order, scans, notifications, message_links=links, inbox_url=inbox_url)
    return {
        "order_id": order_id,
        "order": order,
        "shipments": shipments["items"] if shipments else [],
        "entries": [e.model_dump() for e in entries],
    }
