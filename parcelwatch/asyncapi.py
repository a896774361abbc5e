"""``parcelwatch asyncapi``: each service's AsyncAPI document, from its spec.

A FastStream broker is declared from what the service's spec (``services/<name>/spec.py``)
says, without building the service or connecting anything: one subscriber per consumed
topic, in the consumer group ``<service>.<purpose>``, documenting the CloudEvents of the
event types the spec lists (a service refuses to start unless its handlers take exactly
those); one documentation-only publisher per event type it publishes (through its outbox)
and per dead-letter topic it may write. The documents are committed in ``docs/asyncapi/``
and a test fails when they drift from the code.
"""

import json
import operator
from collections.abc import Awaitable, Callable
from functools import reduce
from pathlib import Path
from typing import Any

import click
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from parcelwatch.registry import SERVICES
from shared.contracts import topics
from shared.contracts.envelope import CloudEvent
from shared.contracts.events import EventData
from shared.infra.spec import ServiceSpec

SERVER = "kafka:9092"
"""The bootstrap address shown in the documents (docker-compose's broker)."""

_ENVELOPE = "Key: the order id. Header `content-type: application/cloudevents+json`."


def _envelope(model: type[EventData]) -> type[CloudEvent[Any]]:
    return CloudEvent[model]  # type: ignore[valid-type]


def _receiver(payload: Any) -> Callable[[Any], Awaitable[None]]:
    """A subscriber call whose parameter is typed ``payload``: what FastStream documents."""

    async def receive(event: payload) -> None:
        """Documentation only: the service's own consumer handles these messages."""

    return receive


def declare(broker: KafkaBroker, spec: ServiceSpec) -> None:
    """Declare on ``broker`` what the service of ``spec`` consumes and publishes."""
    for subscription in spec.consumes:
        topic, models = subscription.topic, subscription.events
        group = spec.group_id(subscription.purpose)
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
    for model in spec.publishes:
        broker.publisher(
            model.topic,
            title=model.event_type,
            description=" ".join(filter(None, [(model.__doc__ or "").strip(), _ENVELOPE])),
            schema=_envelope(model),
        )


def document(service: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``service``."""
    broker = KafkaBroker(SERVER, logger=None)
    declare(broker, SERVICES[service])
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
