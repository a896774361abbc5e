"""Composition root of the notifier service: customer emails, seller and ops alerts."""

from dataclasses import dataclass

from services.notifier import api, handlers
from services.notifier.compose import Composer
from services.notifier.metrics import NotifierMetrics
from services.notifier.sender import Sender
from services.notifier.service import NotifierService
from services.notifier.settings import NotifierSettings
from services.notifier.spec import SPEC
from services.notifier.transports.base import ChatTransport, EmailTransport
from services.notifier.transports.http_api import HttpApiTransport
from services.notifier.transports.smtp import SmtpConfig, SmtpTransport
from services.notifier.transports.webhook import WebhookTransport
from shared.infra.clock import Clock
from shared.infra.service import Service, build_service


@dataclass(frozen=True)
class Dependencies:
    """What tests or benchmarks may replace; ``None`` means "from the settings"."""

    clock: Clock | None = None
    email: EmailTransport | None = None
    chat: ChatTransport | None = None


def email_transport(settings: NotifierSettings) -> EmailTransport:
    """The e-mail transport the settings choose."""
    if settings.transport == "http_api":
        assert settings.email_api_url is not None  # the settings validator requires it
        return HttpApiTransport(
            str(settings.email_api_url), settings.email_api_key, timeout=settings.http_timeout
        )
    return SmtpTransport(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout,
            validate_certs=settings.smtp_validate_certs,
        )
    )


def chat_transport(settings: NotifierSettings) -> ChatTransport | None:
    """The chat webhook, or ``None`` when none is configured (alerts are then skipped)."""
    if settings.chat_webhook_url is None:
        return None
    return WebhookTransport(settings.chat_webhook_url, timeout=settings.http_timeout)


async def build_app(settings: NotifierSettings, deps: Dependencies | None = None) -> Service:
    """Connect, migrate and wire the notifier service."""
    deps = deps or Dependencies()
    clock = deps.clock or settings.clock()
    service = await build_service(settings, SPEC)
    metrics = NotifierMetrics(service.metrics.registry)
    notifier = NotifierService(service.pool, routing=settings.routing, clock=clock, metrics=metrics)
    service.subscribe(handlers.by_topic(notifier), prepare=notifier.lock, finish=notifier.write)
    sender = Sender(
        service.pool,
        service=notifier,
        composer=Composer(settings.links, settings.mail, settings.contacts),
        email=deps.email or email_transport(settings),
        chat=deps.chat or chat_transport(settings),
        policy=settings.retry,
        clock=clock,
        metrics=metrics,
        batch_size=settings.send_batch_size,
        concurrency=settings.send_concurrency,
        poll_interval=settings.send_poll_interval,
    )
    service.tasks.append(sender.run)
    service.http.include_router(
        api.router(service.pool, settings.message_id_domain, settings.api_token)
    )
    return service
