"""The pure tracking core (decisions, schedule, number formats, carrier mapping and
settings) imports no HTTP client: each carrier keeps its own in ``client.py``."""

from services.poller.carriers.registry import CARRIERS
from tests.support.imports import modules_after_importing

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
HTTP_CLIENTS = ("httpx", "aiohttp", "requests", "urllib3")


def http_clients_imported(modules: tuple[str, ...]) -> list[str]:
    """The HTTP client packages a fresh interpreter holds after importing ``modules``."""
    return [name for name in modules_after_importing(*modules) if name in HTTP_CLIENTS]


def test_the_pure_core_imports_no_http_client() -> None:
    assert http_clients_imported(PURE) == []


def test_the_check_sees_a_module_that_imports_one() -> None:
    assert http_clients_imported(("services.poller.carriers.http",)) == ["httpx"]
