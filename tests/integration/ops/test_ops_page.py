"""The ops page against the three services' query APIs and the mail inbox, all served on
real ports in-process, on orders seeded through the services' handlers."""

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator, Iterator
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
from tests.integration.notifier.png import non_white_share
from tests.support import world as seeded

pytestmark = pytest.mark.integration

TOKEN = "ops-s3cret"
VAR = Path(__file__).resolve().parents[3] / "var"


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


@pytest.fixture
async def page(database_url: str, tmp_path: Path) -> AsyncIterator[Page]:
    async with seeded.world(database_url, token=TOKEN) as world:
        key = await world.notifier.pool.fetchval(
            "SELECT dedup_key FROM notifications WHERE order_id = $1 AND kind = 'customer_shipped'",
            seeded.LATE,
        )
        mail = EmailMessage()
        mail["Message-ID"] = message_id(key, seeded.MESSAGE_ID_DOMAIN)
        mail["To"] = "ada@example.com"
        mail["Subject"] = "Your order has shipped"
        mail.set_content("shipped")
        store = MailStore(tmp_path / "mail")
        name = store.save(mail.as_bytes())
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
    assert body["breaches"] == {"error": "sla: ConnectError"}
    assert body["scorecards"] == {"error": "sla: ConnectError"}


def _chromium(chromium: str, profile: Path, *args: str) -> str:
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=15000",
            "--window-size=1280,1600",
            *args,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return done.stdout.decode()


@pytest.fixture
def screenshot() -> Iterator[Path]:
    VAR.mkdir(exist_ok=True)
    path = VAR / "ops-page.png"
    path.unlink(missing_ok=True)
    yield path


async def test_the_page_shows_an_order_searched_in_headless_chromium(
    page: Page, chromium: str, tmp_path: Path, screenshot: Path
) -> None:
    url = f"{page.url}/?q={seeded.LATE}"
    dom = await asyncio.to_thread(_chromium, chromium, tmp_path / "profile", "--dump-dom", url)
    assert f'<span id="order-id">{seeded.LATE}</span>' in dom
    assert "Scan: delivered — Delivered, front door · Louisville, KY, US · sh-1" in dom
    assert f'href="{page.shipped_mail}"' in dom
    assert "SLA: delivered_disputed" in dom
    assert "ship_by_missed" in dom and seeded.UNSHIPPED in dom  # the open breaches table
    assert "case-1" in dom  # the open disputes table
    assert "<td>ups</td><td>0</td>" in dom  # carrier health
    assert "100.0 % (2/2)" in dom  # the scorecard's late shipments
    assert "unavailable" not in dom
    await asyncio.to_thread(
        _chromium, chromium, tmp_path / "profile", f"--screenshot={screenshot}", url
    )
    assert non_white_share(await asyncio.to_thread(screenshot.read_bytes)) > 0.01
