"""Each service's spec (services/<name>/spec.py): its references resolve, its handlers take
exactly the event types it declares, and reading it loads nothing of the service."""

import inspect
from typing import Any, cast

import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from parcelwatch.registry import SERVICES
from services.notifier import handlers as notifier_handlers
from services.notifier.metrics import NotifierMetrics
from services.notifier.routing import RoutingSettings
from services.notifier.service import NotifierService
from services.poller import handlers as poller_handlers
from services.poller.carriers.registry import tracking_numbers
from services.poller.metrics import PollerMetrics
from services.poller.scheduler import PollingPolicy
from services.poller.service import PollerService
from services.sla import handlers as sla_handlers
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.rules import SlaRules
from services.sla.service import SlaService
from shared.contracts import topics
from shared.infra.clock import SystemClock
from shared.infra.lazy import resolve
from shared.infra.service import ServiceSettings
from shared.infra.spec import HandlersMismatch
from tests.support.imports import modules_after_importing


def _handlers(service: str) -> dict[str, dict[str, Any]]:
    """The handler tables the services' composition roots subscribe (nothing is called)."""
    clock = SystemClock()
    if service == "poller":
        poller = PollerService(
            cast(asyncpg.Pool, None),
            clock=clock,
            policy=PollingPolicy(),
            numbers=tracking_numbers(),
            skip_check_digits=False,
            metrics=PollerMetrics(CollectorRegistry()),
        )
        return poller_handlers.by_topic(poller)
    if service == "sla":
        sla = SlaService(
            rules=SlaRules(), calendars=Calendars(), metrics=SlaMetrics(CollectorRegistry())
        )
        return sla_handlers.by_topic(sla)
    notifier = NotifierService(
        cast(asyncpg.Pool, None),
        routing=RoutingSettings(),
        clock=clock,
        metrics=NotifierMetrics(CollectorRegistry()),
    )
    return notifier_handlers.by_topic(notifier)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_handlers_take_exactly_the_declared_event_types(service: str) -> None:
    SERVICES[service].check(_handlers(service))


def test_handlers_that_differ_from_the_spec_are_refused() -> None:
    handlers = _handlers("sla")
    del handlers[topics.TRACKING]["tracking.number_invalid"]
    handlers[topics.ORDERS]["sla.resolved"] = handlers[topics.ORDERS]["order.placed"]
    with pytest.raises(HandlersMismatch) as refused:
        SERVICES["sla"].check(handlers)
    assert str(refused.value) == (
        "sla: orders.v1 handles undeclared sla.resolved; "
        "tracking.v1 declares unhandled tracking.number_invalid"
    )


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_references_of_a_spec_resolve(service: str) -> None:
    spec = SERVICES[service]
    assert spec.name == service == spec.schema
    assert spec.source == f"parcelwatch/{service}"
    assert isinstance(spec.settings(), ServiceSettings)
    registry = CollectorRegistry()
    spec.metrics(registry)
    assert any(family.name.startswith(f"parcelwatch_{service}_") for family in registry.collect())
    assert spec.migrations_dir is not None and any(spec.migrations_dir.glob("0001_*.sql"))
    assert inspect.iscoroutinefunction(resolve(spec.entrypoint))


def service_modules_after_importing(module: str) -> list[str]:
    """The ``services.<name>.<module>`` modules a fresh interpreter holds after ``module``."""
    return [
        name
        for name in modules_after_importing(module)
        if name.startswith("services.") and name.count(".") == 2
    ]


def test_reading_the_specs_loads_no_service() -> None:
    assert service_modules_after_importing("parcelwatch.registry") == [
        "services.notifier.kinds",
        "services.notifier.spec",
        "services.poller.spec",
        "services.sla.spec",
    ]


def test_the_check_sees_a_service_loaded() -> None:
    assert "services.poller.entrypoint" in service_modules_after_importing(
        "services.poller.entrypoint"
    )
