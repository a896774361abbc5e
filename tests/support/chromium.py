"""Headless Chromium for the page tests: found, or installed from Debian where missing (as
root), and run to dump a page's DOM or take its screenshot; screenshots kept under var/."""

import os
import re
import shutil
import subprocess
from pathlib import Path

INSTALL_HINT = "apt-get install -y chromium (Debian's package; needs root)"
VAR = Path(__file__).resolve().parents[2] / "var"


def ensure_chromium() -> str | None:
    """The path of ``chromium``, installing Debian's package first when we can."""
    found = shutil.which("chromium")
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"],
    ):
        if subprocess.run(command, env=env, capture_output=True, timeout=1200).returncode:
            return None
    return shutil.which("chromium")


def run(chromium: str, profile: Path, *args: str, height: int = 1600, width: int = 1280) -> str:
    """Run headless Chromium in a ``width`` x ``height`` window (``--dump-dom URL``,
    ``--screenshot=PATH URL``); its standard output."""
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=15000",
            f"--window-size={width},{height}",
            *args,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return done.stdout.decode()


def artefact(name: str) -> Path:
    """Where to keep screenshot ``name`` under var/ for people to look at after the run."""
    VAR.mkdir(exist_ok=True)
    path = VAR / name
    path.unlink(missing_ok=True)
    return path


_FIGURE = re.compile(r'<figure class="chart" id="([\w-]+)"([^>]*)>')
_ATTRIBUTE = re.compile(r'data-(\w+)="([^"]*)"')


def chart_figures(dom: str) -> dict[str, dict[str, str]]:
    """Each ops page chart's data attributes as the page left them: ``state`` (drawn, empty,
    error) and, once drawn, ``box`` (x,y,width,height in page pixels)."""
    return {
        figure_id: dict(_ATTRIBUTE.findall(attributes))
        for figure_id, attributes in _FIGURE.findall(dom)
    }


def box(figure: dict[str, str]) -> tuple[int, int, int, int]:
    x, y, w, h = (int(v) for v in figure["box"].split(","))
    return x, y, w, h
