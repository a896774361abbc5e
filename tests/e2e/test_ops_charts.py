"""The ops page's charts with data from a real run: ``parcelwatch dev up`` (simulator, carrier
emulator, the three services, 3600x clock) runs until parcels are delivered and breaches
raised, then headless Chromium loads the page; its screenshot is kept as
``var/ops-real-run.png``."""

import re
import signal
import time
from pathlib import Path

import httpx

from parcelwatch.dev.stack import postgres
from tests.integration.notifier.png import colours_in
from tests.support.chromium import artefact, box, chart_figures
from tests.support.chromium import run as chromium_run
from tests.support.dev_up import environment, free_ports, start

DATA_DEADLINE = 300.0
"""Real seconds to wait for deliveries: the first parcels arrive about 80 s (80 ParcelWatch
hours) after the first orders."""
CHARTS = ("transit-chart", "on-time-chart", "opened-chart")


def _has_data(sla: str) -> bool:
    performance = httpx.get(f"{sla}/api/v1/carriers/performance", timeout=10).json()
    breaches = httpx.get(f"{sla}/api/v1/trends/breaches", timeout=10).json()
    delivered = any(c["transit"]["samples"] for c in performance["carriers"])
    judged = any(c["on_time"]["denominator"] for c in performance["carriers"])
    opened = any(sum(k["opened"]) for k in breaches["kinds"])
    return delivered and judged and opened


def test_a_run_fills_the_carrier_and_breach_charts(tmp_path: Path, chromium: str) -> None:
    ports = free_ports()
    env = environment(ports, tmp_path / "var", SIMULATOR_ORDERS_PER_MINUTE="60")
    sla = f"http://127.0.0.1:{ports['SLA_HTTP_PORT']}"
    ops = f"http://127.0.0.1:{ports['DEV_OPS_PORT']}"
    stack, banner = start(env)
    try:
        assert stack.poll() is None, "".join(banner)
        deadline = time.monotonic() + DATA_DEADLINE
        while not _has_data(sla):
            assert time.monotonic() < deadline, "no delivery or breach after five minutes"
            time.sleep(5)
        height = 1400
        dom = chromium_run(chromium, tmp_path / "profile", "--dump-dom", ops, height=height)
        figures = chart_figures(dom)
        for chart in CHARTS:
            assert figures[chart].get("state") == "drawn", (chart, figures[chart])
        # a real duration in the table: "N.N days" or "N.N h", never raw seconds
        assert re.search(r"<td>\d+\.\d (days|h)</td>", dom)
        path = artefact("ops-real-run.png")
        chromium_run(chromium, tmp_path / "profile", f"--screenshot={path}", ops, height=height)
        png = path.read_bytes()
        for chart in CHARTS:
            assert colours_in(png, box(figures[chart])) >= 4, f"{chart} looks blank"
    finally:
        stack.send_signal(signal.SIGINT)
        output = stack.communicate(timeout=90)[0]
        postgres.discard(tmp_path / "var" / "postgres")  # as root it may be kept elsewhere
    assert stack.returncode == 0, output
