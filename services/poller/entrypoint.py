"""Composition root of the poller service: polls carriers, publishes tracking events."""

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from services.poller import api, handlers, webhook
from services.poller.breaker import CircuitBreaker, State
from services.poller.carriers.http import CappedTransport
from services.poller.carriers.registry import registry, tracking_numbers
from services.poller.gateway import CarrierGateway, RetryPolicy, http_hooks
from services.poller.metrics import PollerMetrics
from services.poller.ratelimit import RateLimiter
from services.poller.service import PollerService
from services.poller.settings import PollerSettings
from services.poller.spec import SPEC
from services.poller.worker import CarrierWorker, Poller, WorkerSettings
from shared.infra.clock import Clock
from shared.infra.service import Service, build_service

log = logging.getLogger(__name__)


@dataclass
class PollerDeps:
    """What tests and benchmarks may replace: the clock (default: the settings' clock, real
    time unless ``CLOCK_SCALE`` accelerates it), the carriers' HTTP transport."""

    clock: Clock | None = None
    transport: httpx.AsyncBaseTransport | None = None
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


def carrier_http_client(
    settings: PollerSettings,
    metrics: PollerMetrics,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The carriers' HTTP client. It never follows a redirect: requests (and the keys they
    carry) go only to the configured base URLs; a 3xx is an unusable reply. Bodies over
    ``max_response_bytes`` are refused as they stream in."""
    return httpx.AsyncClient(
        transport=CappedTransport(
            transport or httpx.AsyncHTTPTransport(), settings.max_response_bytes
        ),
        timeout=settings.request_timeout,
        event_hooks=http_hooks(metrics),
        follow_redirects=False,
    )


async def build_app(settings: PollerSettings, deps: PollerDeps | None = None) -> Service:
    """Connect, migrate and wire the poller service."""
    deps = deps or PollerDeps()
    clock = deps.clock or settings.clock()
    service = await build_service(settings, SPEC)
    metrics = PollerMetrics(service.metrics.registry)
    plugins = registry()
    poller = PollerService(
        service.pool,
        clock=clock,
        policy=settings.policy(),
        numbers=tracking_numbers(),
        skip_check_digits=settings.sandbox,
        metrics=metrics,
    )
    service.subscribe(handlers.by_topic(poller), prepare=poller.lock, finish=poller.write)
    http = carrier_http_client(settings, metrics, deps.transport)
    retry = RetryPolicy(settings.call_retries, settings.retry_backoff, settings.retry_max_wait)
    lease = settings.lease * settings.clock_scale  # real time, in the clock's time
    workers = []
    webhooks = {}
    for slug, plugin in plugins.items():
        carrier = settings.carriers[slug]
        credential = carrier.push_credential()
        if plugin.webhook is not None and credential is not None:
            webhooks[slug] = (plugin.webhook, credential)
        client_settings = carrier.client_settings(settings.sandbox)
        if client_settings is None:
            log.warning("carrier not polled: no credentials configured", extra={"carrier": slug})
            continue
        limiter = RateLimiter(carrier.rate_limit, on_wait=_waited(metrics, slug))
        gateway = CarrierGateway(
            slug,
            plugin.build_client(client_settings, http),
            limiter=limiter,
            breaker=CircuitBreaker(
                settings.breaker_failures,
                settings.breaker_cooldown,
                on_change=_breaker_moved(metrics, slug),
            ),
            metrics=metrics,
            retry=retry,
            deadline=settings.call_deadline,
        )
        workers.append(
            CarrierWorker(
                gateway,
                service=poller,
                metrics=metrics,
                concurrency=carrier.concurrency,
                settings=WorkerSettings(deps.worker_id, lease, settings.idle_interval),
            )
        )
    loops = Poller(
        workers,
        http=http,
        service=poller,
        metrics=metrics,
        stats_interval=settings.stats_interval,
    )
    service.tasks.append(loops.run)
    service.http.include_router(
        api.router(service.pool, metrics, list(plugins), settings.api_token)
    )
    if webhooks:
        service.http.include_router(webhook.router(poller, webhooks, metrics))
    return service


def _waited(metrics: PollerMetrics, carrier: str) -> Callable[[float], None]:
    def record(seconds: float) -> None:
        metrics.rate_limit_waits.labels(carrier).inc()
        metrics.rate_limit_wait_seconds.labels(carrier).inc(seconds)

    return record


def _breaker_moved(metrics: PollerMetrics, carrier: str) -> Callable[[State], None]:
    def record(state: State) -> None:
        metrics.breaker_transitions.labels(carrier, state.value).inc()
        metrics.breaker_open.labels(carrier).set(0 if state is State.CLOSED else 1)

    return record
