"""``parcelwatch asyncapi``: each service's AsyncAPI document, from a FastStream broker.

The broker is declared as the service declares it, without connecting anything: one
subscriber per consumed topic, in the consumer group ``<service>.<purpose>`` of the
service's ``PURPOSES``, documenting the CloudEvents its real handlers accept; one
documentation-only publisher per event type it emits (through its outbox) and per
dead-letter topic it may write. The documents are committed in ``docs/asyncapi/`` and a
test fails when they drift from the code.
"""

import json
import operator
from collections.abc import Callable, Iterable, Mapping
from functools import reduce
from pathlib import Path
from typing import Any, cast

import asyncpg
import click
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from prometheus_client import CollectorRegistry

from services.notifier import entrypoint as notifier
from services.notifier.handlers import Intake, subscriptions
from services.notifier.routing import RoutingSettings
from services.poller import entrypoint as poller
from services.poller.carriers.registry import tracking_numbers
from services.poller.handlers import shipment_handlers
from services.poller.metrics import PollerMetrics
from services.poller.scheduler import PollingPolicy
from services.poller.service import PollerService
from services.sla import entrypoint as sla
from services.sla.handlers import SlaHandlers
from services.sla.marketplace import Calendars
from services.sla.metrics import SlaMetrics
from services.sla.rules import SlaRules
from services.sla.service import SlaService
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import BY_TYPE, EVENT_TYPES, EventData
from shared.infra.clock import SystemClock
from shared.infra.service import group_id

SERVER = "kafka:9092"
"""The bootstrap address shown in the documents (docker-compose's broker)."""

_ENVELOPE = "Key: the order id. Header `content-type: application/cloudevents+json`."


def _poller_handlers() -> dict[str, Iterable[str]]:
    service = PollerService(
        cast(asyncpg.Pool, None),  # documents the handlers; nothing is called
        clock=SystemClock(),
        policy=PollingPolicy(),
        numbers=tracking_numbers(),
        skip_check_digits=False,
        metrics=PollerMetrics(CollectorRegistry()),
    )
    handlers = shipment_handlers(service)
    return {topics.ORDERS: handlers}


def _sla_handlers() -> dict[str, Iterable[str]]:
    service = SlaService(
        rules=SlaRules(), calendars=Calendars({}), metrics=SlaMetrics(CollectorRegistry())
    )
    handlers = SlaHandlers(service, SystemClock())
    return {topics.ORDERS: handlers.orders(), topics.TRACKING: handlers.tracking()}


def _notifier_handlers() -> dict[str, Iterable[str]]:
    return dict(subscriptions(Intake(RoutingSettings(), SystemClock())))


SERVICES: dict[str, tuple[str, Mapping[str, str], Callable[[], dict[str, Iterable[str]]]]] = {
    "poller": (topics.TRACKING, poller.PURPOSES, _poller_handlers),
    "sla": (topics.SLA, sla.PURPOSES, _sla_handlers),
    "notifier": (topics.NOTIFICATIONS, notifier.PURPOSES, _notifier_handlers),
}
"""Each service: the topic it produces, its consumer groups, and its handlers by topic."""


def _envelope(model: type[EventData]) -> type[CloudEvent[Any]]:
    return CloudEvent[model]  # type: ignore[valid-type]


def _receiver(payload: object) -> Callable[..., Any]:
    """A handler that only carries ``payload`` as the type of what it receives."""

    async def receive(event: Any) -> None:
        """Documentation only: the service's own consumer handles these messages."""

    receive.__annotations__["event"] = payload
    return receive


def declare(broker: KafkaBroker, service: str) -> None:
    """Declare on ``broker`` what ``service`` consumes and publishes."""
    produced, purposes, handlers = SERVICES[service]
    for topic, by_type in handlers().items():
        models = [BY_TYPE[event_type] for event_type in by_type]
        group = group_id(service, purposes[topic])
        subscriber = broker.subscriber(
            topic,
            group_id=group,
            title=group,
            description=f"Consumer group `{group}` handles "
            + ", ".join(f"`{m.event_type}`" for m in models)
            + "; other event types are skipped. At least once: offsets are committed "
            "after the effects, duplicates are dropped by CloudEvents id.",
        )
        subscriber(_receiver(reduce(operator.or_, map(_envelope, models))))
        broker.publisher(
            topics.dead_letter(topic),
            title=f"{group}:dead-letter",
            description=f"Records of `{topic}` that `{group}` cannot process, key kept, "
            "value sealed with Fernet when `DLQ_ENCRYPTION_KEYS` is set (header "
            "`dlq-value-encoding: fernet`; `parcelwatch dlq replay` opens it), with the "
            "reason in the `dlq-error` header and the origin in `dlq-origin-topic`, "
            "`-partition`, `-offset`, `dlq-consumer-group`.",
        )
    for model in EVENT_TYPES:
        if model.topic == produced:
            broker.publisher(
                produced,
                title=model.event_type,
                description=" ".join(filter(None, [(model.__doc__ or "").strip(), _ENVELOPE])),
                schema=_envelope(model),
            )


def document(service: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``service``."""
    broker = KafkaBroker(SERVER, logger=None)
    declare(broker, service)
    spec = AsyncAPI(
        broker,
        title=f"ParcelWatch {service}",
        version="1",
        description=f"What the {service} service consumes and publishes on Kafka. Every "
        "message is a CloudEvents 1.0 JSON object (structured mode); see docs/events.md.",
        schema_version="3.0.0",
    )
    return json.loads(spec.to_specification().to_json())  # type: ignore[no-any-return]


def render(doc: dict[str, Any]) -> str:
    """The committed text form of a document (stable key order, trailing newline)."""
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


@click.command()
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("docs/asyncapi")
)
@click.option("--check", is_flag=True, help="Fail if the committed documents differ.")
def asyncapi(out: Path, check: bool) -> None:
    """Write (or check) the AsyncAPI document of every service."""
    expected = {f"{name}.json": render(document(name)) for name in SERVICES}
    if check:
        stale = sorted(
            name
            for name, text in expected.items()
            if not (out / name).exists() or (out / name).read_text() != text
        )
        extra = sorted(p.name for p in out.glob("*.json") if p.name not in expected)
        if stale or extra:
            raise click.ClickException(
                f"AsyncAPI documents out of date: {stale + extra}; run parcelwatch asyncapi"
            )
        click.echo(f"{len(expected)} AsyncAPI documents up to date")
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in expected.items():
        (out / name).write_text(text)
    click.echo(f"wrote {len(expected)} AsyncAPI documents to {out}")
