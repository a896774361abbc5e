"""The pure tracking core (decisions, schedule, number formats, carrier mapping and
settings) imports no HTTP client: each carrier keeps its own in ``client.py``."""

import subprocess
import sys
from pathlib import Path

from services.poller.carriers.registry import CARRIERS

ROOT = Path(__file__).resolve().parents[3]
PURE = (
    "services.poller.tracking",
    "services.poller.scheduler",
    "services.poller.tracking_numbers",
    "services.poller.carriers.base",
    "services.poller.carriers.settings",
    "services.poller.carriers.ups.webhook",
    *(f"services.poller.carriers.{c}.{m}" for c in CARRIERS for m in ("mapper", "formats")),
    *(f"services.poller.carriers.{c}.settings" for c in CARRIERS),
)
_LIST_HTTP_CLIENTS = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(*sorted(n for n in sys.modules if n in ("httpx", "aiohttp", "requests", "urllib3")))
"""


def http_clients_imported(modules: tuple[str, ...]) -> list[str]:
    """The HTTP client packages a fresh interpreter holds after importing ``modules``."""
    done = subprocess.run(
        [sys.executable, "-c", _LIST_HTTP_CLIENTS, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_the_pure_core_imports_no_http_client() -> None:
    assert http_clients_imported(PURE) == []


def test_the_check_sees_a_module_that_imports_one() -> None:
    assert http_clients_imported(("services.poller.carriers.http",)) == ["httpx"]
