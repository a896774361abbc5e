"""The customer journeys of issue 13, end to end: the sla service and the notifier running
in-process on one FakeClock, against the real broker and PostgreSQL, sending into an SMTP
capture and a chat webhook.

Inputs are what the order service and the poller publish (``orders.v1``, ``tracking.v1``).
After each step the stack settles on facts, not on time: the sla service applied every input,
swept twice and published its events; the notifier's consumers committed to the end of their
topics; no message is due or in flight (one held for quiet hours waits for a later step).

The seller is in New York (US-NY), customers in Chicago (one in Paris). Monday 2026-11-23;
Thursday 26th is Thanksgiving.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg

from parcelwatch.dev.capture.smtp import CaptureHandler, SmtpCapture
from parcelwatch.dev.capture.store import MailStore
from parcelwatch.dev.capture.web import inbox_app
from parcelwatch.dev.stack.processes import free_port
from services.notifier.entrypoint import PURPOSES, Dependencies, build_app
from services.notifier.headers import message_id
from services.notifier.settings import NotifierSettings
from services.sla.settings import SlaSettings
from shared.contracts import topics
from shared.contracts.common import Customer, Item, Seller
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import (
    EventData,
    OrderConfirmed,
    OrderPlaced,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus as S
from shared.infra.http import http_server
from shared.infra.kafka import ensure_topics
from shared.infra.service import Service
from shared.infra.watermark import KafkaPositions, held_at
from tests.integration.sla import scenarios
from tests.integration.sla.harness import Harness as SlaHarness
from tests.integration.sla.harness import until
from tests.integration.sla.scenarios import (
    DELIVERED_AT,
    HOUR,
    PARCEL,
    REPORTED,
    SHIPPED,
    T0,
    scan,
)
from tests.support import infrastructure
from tests.support.clock import FakeClock
from tests.support.kafka import unique
from tests.support.services import running

# The sla scenarios' calendar and parcel: confirmed Monday 10:00 in New York (before the
# cutoff), shipped Monday evening, delivered Wednesday afternoon in Chicago.
ESTIMATE = date(2026, 11, 25)
NUMBER = PARCEL["tracking_number"]
CARRIER_SAYS = "Delivered, Left at Front Door"
SIGNED_BY = "A RIVERA"


# --- what the order service and the poller publish --------------------------------------


@dataclass(frozen=True)
class Buyer:
    name: str
    given_name: str
    locale: str
    time_zone: str
    country: str


CHICAGO = Buyer("Ada Rivera", "Ada", "en-US", "America/Chicago", "US")
PARIS = Buyer("Camille Martin", "Camille", "fr-FR", "Europe/Paris", "FR")


def customer_address(order_id: str) -> str:
    return f"customer.{order_id}@example.com"


def seller_address(order_id: str) -> str:
    return f"seller.{order_id}@example.com"


def _order(order_id: str, buyer: Buyer) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "placed_at": T0 - 5 * 60 * timedelta(seconds=1),
        "customer": Customer(
            id=f"c-{order_id}",
            email=customer_address(order_id),
            name=buyer.name,
            given_name=buyer.given_name,
            locale=buyer.locale,
            time_zone=buyer.time_zone,
            country=buyer.country,
        ),
        "seller": Seller(
            id="s-1",
            name="Refurb Inc",
            email=seller_address(order_id),
            country="US",
            subdivision="NY",
            time_zone="America/New_York",
        ),
        "items": [Item(sku="iph-13", title="iPhone 13, 128 GB, Midnight (Refurbished)")],
        "marketplace": "us",
    }


def _event(data: EventData, tag: str) -> CloudEvent[Any]:
    return new_event(data, "tests", event_id=f"{data.order_id}:{tag}", time=T0)


def placed(order_id: str, buyer: Buyer = CHICAGO) -> CloudEvent[Any]:
    return _event(OrderPlaced(**(_order(order_id, buyer) | {"placed_at": T0})), "placed")


def confirmed(order_id: str, buyer: Buyer = CHICAGO) -> CloudEvent[Any]:
    return _event(OrderConfirmed(**_order(order_id, buyer), confirmed_at=T0), "confirmed")


def moved(
    order_id: str, previous: S | None, status: S, when: datetime, text: str, **facts: Any
) -> tuple[CloudEvent[Any], ...]:
    """A scan and the status change it causes, as the poller publishes them."""
    change = TrackingStatusChanged(
        order_id=order_id,
        previous_status=previous,
        status=status,
        carrier_code="X",
        description=text,
        occurred_at=when,
        **PARCEL,
        **facts,
    )
    return (scan(order_id, status, when, text), _event(change, f"status-{status}"))


def shipped(order_id: str, when: datetime = SHIPPED, **facts: Any) -> tuple[CloudEvent[Any], ...]:
    return moved(order_id, S.LABEL_CREATED, S.IN_TRANSIT, when, "Departed from Facility", **facts)


def delivered(order_id: str, when: datetime = DELIVERED_AT) -> tuple[CloudEvent[Any], ...]:
    return moved(
        order_id,
        S.IN_TRANSIT,
        S.DELIVERED,
        when,
        CARRIER_SAYS,
        delivered_at=when,
        signed_by=SIGNED_BY,
        estimated_delivery=ESTIMATE,
    )


def disputed(order_id: str, when: datetime = REPORTED) -> CloudEvent[Any]:
    return scenarios.disputed(order_id, when)


# --- a journey --------------------------------------------------------------------------


Step = tuple[datetime, tuple[CloudEvent[Any], ...]]


@dataclass(frozen=True)
class Journey:
    name: str
    order_id: str
    steps: tuple[Step, ...]
    """Inputs at instants; an empty tuple is a moment to look at (a deadline, a morning)."""


@dataclass(frozen=True)
class Mail:
    kind: str
    message: EmailMessage
    sent_at: datetime

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        return " ".join(str(body.get_content()).replace("\u202f", " ").replace("\xa0", " ").split())

    @property
    def html(self) -> str:
        body = self.message.get_body(("html",))
        assert body is not None
        return str(body.get_content())


@dataclass
class Outcome:
    """What each recipient of a journey's order received."""

    customer: list[Mail] = field(default_factory=list)
    seller: list[Mail] = field(default_factory=list)
    ops: list[dict[str, Any]] = field(default_factory=list)

    def kinds(self) -> dict[str, list[str]]:
        return {
            "customer": [m.kind for m in self.customer],
            "seller": [m.kind for m in self.seller],
            "ops": [post["kind"] for post in self.ops],
        }

    def mail(self, kind: str) -> Mail:
        [found] = [m for m in (*self.customer, *self.seller) if m.kind == kind]
        return found


class Stack:
    def __init__(
        self, sla: SlaHarness, notifier: Service, settings: NotifierSettings, store: MailStore
    ) -> None:
        self.sla = sla
        self.notifier = notifier
        self.settings = settings
        self.store = store
        self.clock = sla.clock
        self._positions = KafkaPositions(
            settings, {notifier.group_id(p): settings.topic(t) for t, p in PURPOSES.items()}
        )

    async def close(self) -> None:
        await self._positions.close()

    async def settle(self) -> None:
        await self.sla.settle()

        async def committed() -> bool:
            return held_at(await self._positions()) is None

        await until(committed, "the notifier's consumers to catch up")

        async def quiet() -> bool:
            due = await self.notifier.pool.fetchval(
                "SELECT count(*) FROM notifications WHERE state = 'sending'"
                " OR (state = 'pending' AND next_attempt_at <= $1)",
                self.clock.now(),
            )
            return int(due) == 0

        await until(quiet, "every due message to be sent")

    async def play(self, journeys: list[Journey]) -> None:
        moments = sorted({moment for j in journeys for moment, _ in j.steps})
        for moment in moments:
            self.clock.set(moment)
            inputs = tuple(
                event
                for j in journeys
                for when, events in j.steps
                if when == moment
                for event in events
            )
            await self.sla.send(inputs)
            await self.settle()

    async def outcome(self, order_id: str) -> Outcome:
        rows = await self.notifier.pool.fetch(
            "SELECT kind, dedup_key, state FROM notifications WHERE order_id = $1", order_id
        )
        by_id = {message_id(r["dedup_key"], self.settings.message_id_domain): r for r in rows}
        found = Outcome()
        for name in self.store.names():
            raw = message_from_bytes(self.store.read(name), policy=policy.default)
            assert isinstance(raw, EmailMessage)
            row = by_id.get(str(raw["Message-ID"]))
            if row is None:
                continue
            assert row["state"] == "sent", row
            mail = Mail(
                row["kind"], raw, datetime.strptime(str(raw["Date"]), "%a, %d %b %Y %H:%M:%S %z")
            )
            to = str(raw["To"])
            if customer_address(order_id) in to:
                found.customer.append(mail)
            else:
                assert seller_address(order_id) in to, to
                found.seller.append(mail)
        for name in reversed(self.store.chat_names()):  # oldest first
            post = self.store.read_chat(name)
            if f"`{order_id}`" in post["blocks"][1]["text"]["text"]:
                title = post["blocks"][0]["text"]["text"]
                found.ops.append({"kind": title, "post": post})
        found.customer.sort(key=lambda m: (m.sent_at, m.kind))
        found.seller.sort(key=lambda m: (m.sent_at, m.kind))
        return found


@contextlib.asynccontextmanager
async def journey_stack(
    postgres: infrastructure.Database, broker: infrastructure.Broker, folder: Path
) -> AsyncIterator[Stack]:
    """The sla service and the notifier sharing a database, topics and a FakeClock."""
    database = unique("journey")
    admin = await asyncpg.connect(postgres.admin_url)
    await admin.execute(f'CREATE DATABASE "{database}"')
    prefix = unique("jr") + "."
    common = {
        "database_url": postgres.url(database),
        "database_pool_max": 8,
        "kafka_bootstrap_servers": broker.bootstrap_servers,
        "kafka_enable_idempotence": broker.is_apache_kafka,
        "kafka_topic_partitions": 3,
        "kafka_topic_prefix": prefix,
    }
    store = MailStore(folder)
    smtp = SmtpCapture(CaptureHandler(store), port=free_port())
    await smtp.start()
    web_port = free_port()
    web = http_server(inbox_app(store), "127.0.0.1", web_port)
    serving = asyncio.create_task(web.serve())
    sla_settings = SlaSettings.model_validate(
        {**common, "http_port": free_port(), "sweep_interval": 0.02, "census_interval": 0.5}
    )
    notifier_settings = NotifierSettings.model_validate(
        {
            **common,
            "http_port": free_port(),
            "smtp_port": smtp.port,
            "chat_webhook_url": f"http://127.0.0.1:{web_port}/chat",
            "send_poll_interval": 0.05,
        }
    )
    await ensure_topics(sla_settings, topics.all_with_dead_letters())
    clock = FakeClock(T0 - HOUR)
    db = await asyncpg.connect(postgres.url(database))
    try:
        async with SlaHarness(sla_settings, clock, db).started() as sla:
            notifier = await build_app(notifier_settings, Dependencies(clock=clock))
            async with running(notifier):
                stack = Stack(sla, notifier, notifier_settings, store)
                try:
                    yield stack
                finally:
                    await stack.close()
    finally:
        await db.close()
        web.should_exit = True
        await serving
        await smtp.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
