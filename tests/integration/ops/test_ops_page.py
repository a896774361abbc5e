"""The ops page against the three services' query APIs and the mail inbox, all served on
real ports in-process, on orders seeded through the services' handlers."""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import HttpUrl, SecretStr

from parcelwatch.dev.capture.store import MailStore
from parcelwatch.dev.capture.web import inbox_app
from parcelwatch.dev.stack.processes import free_port
from parcelwatch.ops.app import build_app
from parcelwatch.ops.settings import OpsSettings
from services.notifier.headers import message_id
from tests.integration.notifier.png import colours_in, non_white_share
from tests.support import journeys
from tests.support import world as seeded
from tests.support.chromium import artefact, box, chart_figures
from tests.support.chromium import run as chromium_run

pytestmark = pytest.mark.integration

TOKEN = "ops-s3cret"


@dataclass
class Page:
    url: str
    inbox_url: str
    shipped_mail: str


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def ops_page(
    world: seeded.World, tmp_path: Path, *, mail: bool = True
) -> AsyncIterator[Page]:
    """The ops page over the world's three APIs and an inbox (holding o-late's shipped
    e-mail when ``mail``), all served on free ports."""
    store = MailStore(tmp_path / "mail")
    name = ""
    if mail:
        key = await world.notifier.pool.fetchval(
            "SELECT dedup_key FROM notifications WHERE order_id = $1 AND kind = 'customer_shipped'",
            seeded.LATE,
        )
        message = EmailMessage()
        message["Message-ID"] = message_id(key, seeded.MESSAGE_ID_DOMAIN)
        message["To"] = "ada@example.com"
        message["Subject"] = "Your order has shipped"
        message.set_content("shipped")
        name = store.save(message.as_bytes())
    async with (
        served(world.poller.http) as poller,
        served(world.sla.http) as sla,
        served(world.notifier.http) as notifier,
        served(inbox_app(store)) as inbox,
    ):
        settings = OpsSettings(
            poller_url=HttpUrl(poller),
            sla_url=HttpUrl(sla),
            notifier_url=HttpUrl(notifier),
            inbox_url=HttpUrl(inbox),
            api_token=SecretStr(TOKEN),
        )
        async with served(build_app(settings)) as ops:
            yield Page(ops, inbox, f"{inbox}/messages/{name}")


@pytest.fixture
async def page(database_url: str, tmp_path: Path) -> AsyncIterator[Page]:
    async with (
        seeded.world(database_url, token=TOKEN) as world,
        ops_page(world, tmp_path) as served_page,
    ):
        yield served_page


@pytest.fixture
async def charted(database_url: str, tmp_path: Path) -> AsyncIterator[Page]:
    """The seeded world plus carrier journeys of known shape (tests/support/journeys.py)."""
    async with seeded.world(database_url, token=TOKEN) as world:
        await journeys.play(world.sla, world.clock)
        async with ops_page(world, tmp_path) as served_page:
            yield served_page


@pytest.fixture
async def empty(database_url: str, tmp_path: Path) -> AsyncIterator[Page]:
    async with (
        seeded.world(database_url, token=TOKEN, seed=False) as world,
        ops_page(world, tmp_path, mail=False) as served_page,
    ):
        yield served_page


async def test_timeline_by_tracking_number_has_every_kind_of_entry(page: Page) -> None:
    async with httpx.AsyncClient(base_url=page.url) as http:
        response = await http.get("/api/timeline", params={"q": seeded.NUMBER})
    assert response.status_code == 200
    body = response.json()
    assert body["order_id"] == seeded.LATE
    titles = [e["title"] for e in body["entries"]]
    for expected in (
        "Order placed",
        "Order confirmed",
        "Shipment registered",
        "Scan: in_transit",
        "Scan: delivered",
        "SLA: ship_by_missed",
        "SLA resolved: ship_by_missed",
        "SLA: delivered_disputed",
        "Message: customer_shipped",
    ):
        assert expected in titles, (expected, titles)
    times = [e["at"] for e in body["entries"]]
    assert times == sorted(times)
    [shipped] = [e for e in body["entries"] if e["title"] == "Message: customer_shipped"]
    assert shipped["link"] == page.shipped_mail
    others = [e for e in body["entries"] if e["source"] == "message" and e is not shipped]
    assert others and all(e["link"] == page.inbox_url for e in others)


async def test_search_errors_are_404_and_422(page: Page) -> None:
    async with httpx.AsyncClient(base_url=page.url) as http:
        assert (await http.get("/api/timeline", params={"q": "o-404"})).status_code == 404
        assert (await http.get("/api/timeline", params={"q": "no spaces"})).status_code == 422


async def test_overview_lists_breaches_disputes_carriers_and_scorecards(page: Page) -> None:
    async with httpx.AsyncClient(base_url=page.url) as http:
        body = (await http.get("/api/overview")).json()
    assert {b["order_id"] for b in body["breaches"]["data"]["items"]} == {
        seeded.LATE,
        seeded.UNSHIPPED,
    }
    assert [d["order_id"] for d in body["disputes"]["data"]["items"]] == [seeded.LATE]
    assert len(body["carriers"]["data"]) == 4
    assert body["marketplace"]["data"]["seller_id"] is None
    assert [c["seller_id"] for c in body["scorecards"]["data"]["items"]] == [seeded.SELLER]


async def test_overview_reports_a_service_that_does_not_answer() -> None:
    settings = OpsSettings(sla_url=HttpUrl(f"http://127.0.0.1:{free_port()}"))
    async with served(build_app(settings)) as ops, httpx.AsyncClient(base_url=ops) as http:
        body = (await http.get("/api/overview")).json()
        analytics = (await http.get("/api/analytics")).json()
    assert body["breaches"] == {"error": "sla: ConnectError"}
    assert body["scorecards"] == {"error": "sla: ConnectError"}
    assert set(analytics) == {"performance", "breaches", "late_shipments", "disputes"}
    assert all(section == {"error": "sla: ConnectError"} for section in analytics.values())


@pytest.fixture
def screenshot() -> Path:
    return artefact("ops-page.png")


async def test_the_page_shows_an_order_searched_in_headless_chromium(
    page: Page, chromium: str, tmp_path: Path, screenshot: Path
) -> None:
    url = f"{page.url}/?q={seeded.LATE}"
    dom = await asyncio.to_thread(chromium_run, chromium, tmp_path / "profile", "--dump-dom", url)
    assert f'<span id="order-id">{seeded.LATE}</span>' in dom
    assert "Scan: delivered — Delivered, front door · Louisville, KY, US · sh-1" in dom
    assert f'href="{page.shipped_mail}"' in dom
    assert "SLA: delivered_disputed" in dom
    assert "ship_by_missed" in dom and seeded.UNSHIPPED in dom  # the open breaches table
    assert "case-1" in dom  # the open disputes table
    assert "<td>UPS</td><td>0</td>" in dom  # carrier health
    assert "100.0 % (2/2)" in dom  # the scorecard's late shipments
    assert "unavailable" not in dom
    await asyncio.to_thread(
        chromium_run, chromium, tmp_path / "profile", f"--screenshot={screenshot}", url
    )
    assert non_white_share(await asyncio.to_thread(screenshot.read_bytes)) > 0.01


FIGURES = (
    "transit-chart",
    "on-time-chart",
    "opened-chart",
    "resolved-chart",
    "late-chart",
    "disputes-chart",
)
"""Every chart of the page: each has data in the charted world (disputes: o-late's)."""


def _table_row(dom: str, table: str, first_cell: str) -> list[str]:
    body = dom.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", body):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell} in {table}")


async def test_the_charts_show_carrier_performance_and_trends_in_headless_chromium(
    charted: Page, chromium: str, tmp_path: Path
) -> None:
    height = 2600
    dom = await asyncio.to_thread(
        chromium_run, chromium, tmp_path / "profile", "--dump-dom", charted.url, height=height
    )
    assert 'data-analytics="loaded"' in dom
    figures = chart_figures(dom)
    for figure_id in FIGURES:
        assert figures[figure_id].get("state") == "drawn", (figure_id, figures[figure_id])
    # the numbers under the charts: the journeys' three ups parcels and o-late, delivered
    # on its estimated day; one of the four returned
    ups = _table_row(dom, "carrier-performance", "UPS")
    assert ups[1] == "4" and ups[6] == "66.7 % (2/3)" and ups[9] == "25.0 % (1/4)"
    fedex = _table_row(dom, "carrier-performance", "FedEx")
    assert fedex[6] == "— (0/0)" and fedex[8] == "100.0 % (1/1)"
    assert _table_row(dom, "late-trend", "marketplace")[-1] == "33.3 % (3/9)"
    assert "unavailable" not in dom.lower()
    path = artefact("ops-charts.png")
    await asyncio.to_thread(
        chromium_run,
        chromium,
        tmp_path / "profile",
        f"--screenshot={path}",
        charted.url,
        height=height,
    )
    png = await asyncio.to_thread(path.read_bytes)
    for figure_id in FIGURES:
        x, y, w, h = box(figures[figure_id])
        assert y + h <= height, f"{figure_id} is below the screenshot"
        assert colours_in(png, (x, y, w, h)) >= 4, f"{figure_id} looks blank"


async def test_the_empty_page_says_what_will_appear(
    empty: Page, chromium: str, tmp_path: Path
) -> None:
    dom = await asyncio.to_thread(
        chromium_run, chromium, tmp_path / "profile", "--dump-dom", empty.url
    )
    figures = chart_figures(dom)
    assert {f: a.get("state") for f, a in figures.items()} == dict.fromkeys(FIGURES, "empty")
    assert "No parcel delivered or returned in the last 30 days yet" in dom
    assert "No breach opened in the last 30 days." in dom
    assert "No ship-by deadline passed in the last 5 weeks." in dom
    assert "No dispute reported or resolved in the last 5 weeks." in dom
    assert "unavailable" not in dom.lower()
    path = artefact("ops-empty.png")
    await asyncio.to_thread(
        chromium_run, chromium, tmp_path / "profile", f"--screenshot={path}", empty.url
    )
    assert non_white_share(await asyncio.to_thread(path.read_bytes)) > 0.01
