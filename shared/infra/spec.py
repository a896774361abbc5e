"""What a service is, declared once in ``services/<name>/spec.py``.

A :class:`ServiceSpec` holds the service's identity (its name, which is also its PostgreSQL
schema and the prefix of its consumer groups, and the CloudEvents source of what it
emits), its contract with the others (the topics and event types it consumes, the event
types it publishes), its migrations, and where its settings, metrics and composition root
live. The runtime (``parcelwatch run``), the CLI, the registry, the AsyncAPI documents and
the metrics catalogue all read it.

Reading a spec loads nothing of the service: the settings class, the metrics class and the
composition root are named ``"module:attribute"`` and imported when asked for, so the
service's own pure core can read its identity, and ``parcelwatch run poller`` loads the
poller alone.
"""

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from shared.contracts.events import EventData
from shared.infra.lazy import resolve

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from shared.infra.service import Service, ServiceSettings


def group_id(service: str, purpose: str) -> str:
    """The consumer group of ``service``'s subscription for ``purpose``: ``<service>.<purpose>``."""
    return f"{service}.{purpose}"


@dataclass(frozen=True)
class Subscription:
    """A topic a service consumes: the purpose naming its consumer group, and the event
    types its handlers take (in the order the documents list them); others are skipped."""

    topic: str
    purpose: str
    events: tuple[type[EventData], ...]

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(model.event_type for model in self.events)


class HandlersMismatch(ValueError):
    """The handlers a service registers are not the ones its spec declares."""


@dataclass(frozen=True)
class ServiceSpec:
    """One service, as everything outside its composition root sees it."""

    name: str
    """The service's name: its PostgreSQL schema and the prefix of its consumer groups."""
    source: str
    """The CloudEvents ``source`` of every event it emits."""
    consumes: tuple[Subscription, ...]
    publishes: tuple[type[EventData], ...]
    """The event types it emits, through its outbox."""
    migrations_dir: Path | None
    """Its numbered ``.sql`` files, applied after the shared outbox and inbox tables."""
    settings_class: str
    """``"module:Class"`` of its settings (a :class:`~shared.infra.service.ServiceSettings`)."""
    metrics_class: str
    """``"module:Class"`` of its own metrics, built on a Prometheus registry."""
    entrypoint: str
    """``"module:function"`` of its composition root, ``build_app(settings)``."""

    @property
    def schema(self) -> str:
        """The PostgreSQL schema the service owns (one per service, named after it)."""
        return self.name

    @property
    def purposes(self) -> dict[str, str]:
        """The purpose of each consumed topic's consumer group, by topic."""
        return {subscription.topic: subscription.purpose for subscription in self.consumes}

    def group_id(self, purpose: str) -> str:
        return group_id(self.name, purpose)

    def settings(self) -> "ServiceSettings":
        """The service's settings, read from the environment (and ``.env``)."""
        return cast("ServiceSettings", resolve(self.settings_class)())

    def metrics(self, registry: "CollectorRegistry") -> object:
        """The service's own metrics, registered on ``registry``."""
        return resolve(self.metrics_class)(registry)

    def build(self, settings: "ServiceSettings | None" = None) -> Awaitable["Service"]:
        """Connect, migrate and wire the service (``settings`` default: the environment's)."""
        return cast("Awaitable[Service]", resolve(self.entrypoint)(settings or self.settings()))

    def check(self, handlers: Mapping[str, Mapping[str, object]]) -> None:
        """Refuse ``handlers`` (by topic, then event type) unless they are exactly the
        subscriptions declared: the documents and the consumers cannot drift apart."""
        declared = {s.topic: set(s.event_types) for s in self.consumes}
        problems = []
        for topic in sorted(declared.keys() | handlers.keys()):
            handled, wanted = set(handlers.get(topic, {})), declared.get(topic, set())
            if extra := sorted(handled - wanted):
                problems.append(f"{topic} handles undeclared {', '.join(extra)}")
            if missing := sorted(wanted - handled):
                problems.append(f"{topic} declares unhandled {', '.join(missing)}")
        if problems:
            raise HandlersMismatch(f"{self.name}: {'; '.join(problems)}")
