"""E-mails per second through the notifier vs a bare aiosmtplib loop, into one SMTP capture.

The capture (``parcelwatch dev mail``) runs in its own process and writes every message
to disk, for both contenders. The notifier part runs the real use cases on a real
PostgreSQL (``DATABASE_URL``, else the embedded one): each trigger event is applied as
the consumer applies it (inbox claim + handler in one transaction: order kept, message
claimed), then the sender claims, renders, sends and records every message with its
``notification.sent`` outbox row. Kafka itself is left out: its cost is the broker's.
The baseline sends the same e-mails, rendered and written to bytes beforehand, over one
connection, one after another: the cost of SMTP and the capture alone.
"""

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import asyncpg
from prometheus_client import CollectorRegistry

from parcelwatch.dev.stack.postgres import EmbeddedPostgres
from parcelwatch.dev.stack.processes import free_port, spawn, stop, wait_for_port
from services.notifier.compose import Composer
from services.notifier.context import OrderInfo
from services.notifier.kinds import MessageKind
from services.notifier.links import LinkSettings
from services.notifier.mail import MailSettings, OutgoingEmail
from services.notifier.metrics import NotifierMetrics
from services.notifier.retry import RetryPolicy
from services.notifier.routing import RoutingSettings
from services.notifier.samples import sample_event, sample_order
from services.notifier.sender import Sender
from services.notifier.service import NotifierService
from services.notifier.spec import SPEC
from services.notifier.transports.smtp import SmtpConfig, SmtpTransport
from shared.contracts.common import Customer
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import OrderPlaced
from shared.infra import db, inbox, migrations
from shared.infra.clock import SystemClock
from shared.infra.settings import DatabaseSettings

MESSAGES = int(os.environ.get("BENCH_NOTIFIER_MESSAGES", "2000"))
CONCURRENCY = (1, 8)
PLACED_AT = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)


def _events(count: int) -> list[tuple[CloudEvent[Any], CloudEvent[Any]]]:
    """``count`` orders, each with the status change that sends its "shipped" e-mail."""
    order = sample_order()
    shipped = sample_event(MessageKind.CUSTOMER_SHIPPED)
    pairs = []
    for n in range(count):
        order_id = f"bench-{n:06d}"
        customer = Customer.model_validate(
            {**order.customer.model_dump(), "email": f"c{n}@example.com"}
        )
        placed = OrderPlaced(
            order_id=order_id,
            placed_at=PLACED_AT,
            customer=customer,
            seller=order.seller,
            items=order.items,
            marketplace=order.marketplace,
        )
        trigger = type(shipped).model_validate({**shipped.model_dump(), "order_id": order_id})
        pairs.append(
            (
                new_event(placed, "bench", event_id=f"{order_id}.placed"),
                new_event(trigger, "bench", event_id=f"{order_id}.shipped"),
            )
        )
    return pairs


def _emails(pairs: list[tuple[CloudEvent[Any], CloudEvent[Any]]]) -> list[OutgoingEmail]:
    composer = Composer(LinkSettings(), MailSettings())
    now = SystemClock().now()
    emails = []
    for placed, shipped in pairs:
        order = OrderInfo.from_event(placed.data)
        emails.append(
            composer.email(MessageKind.CUSTOMER_SHIPPED, order, shipped.data, order.order_id, now)
        )
    return emails


async def _bare_loop(port: int, emails: list[OutgoingEmail]) -> float:
    """Seconds to send ``emails`` (their bytes, written beforehand) one after another over
    one aiosmtplib connection."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
    await client.connect()
    started = time.perf_counter()
    for email in emails:
        await client.sendmail(email.sender.address, [email.recipient.address], email.data)
    elapsed = time.perf_counter() - started
    await client.quit()
    return elapsed


async def _notifier(
    admin_url: str, port: int, pairs: list[tuple[CloudEvent[Any], CloudEvent[Any]]], width: int
) -> tuple[float, float]:
    """Seconds to apply the events (intake) and to send what they claimed (sender)."""
    database = f"bench_notifier_{width}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    base, _, _ = admin_url.rpartition("/")
    pool = await db.create_pool(
        DatabaseSettings(database_url=f"{base}/{database}", database_pool_max=width + 4),
        application_name="bench-notifier",
        schema=SPEC.schema,
    )
    try:
        async with pool.acquire() as conn:
            await migrations.migrate(conn, SPEC.schema, SPEC.migrations_dir)
        clock = SystemClock()
        metrics = NotifierMetrics(CollectorRegistry())
        notifier = NotifierService(pool, routing=RoutingSettings(), clock=clock, metrics=metrics)
        started = time.perf_counter()
        for placed, shipped in pairs:
            for event, handler in ((placed, notifier.order), (shipped, notifier.trigger)):
                async with pool.acquire() as conn, conn.transaction():
                    await inbox.claim(conn, event.id, event.data.topic)
                    await notifier.lock(conn, [event])  # the consumer's prepare
                    await handler(conn, event)
                    await notifier.write(conn, [event])  # and its finish
        intake_seconds = time.perf_counter() - started
        sender = Sender(
            pool,
            service=notifier,
            composer=Composer(LinkSettings(), MailSettings()),
            email=SmtpTransport(SmtpConfig("127.0.0.1", port, security="none")),
            chat=None,
            policy=RetryPolicy(),
            clock=clock,
            metrics=metrics,
            batch_size=200,
            concurrency=width,
        )
        started = time.perf_counter()
        await sender.send_due()
        send_seconds = time.perf_counter() - started
        sent = await pool.fetchval("SELECT count(*) FROM notifications WHERE state = 'sent'")
        assert sent == len(pairs), f"sent {sent} of {len(pairs)}"
        return intake_seconds, send_seconds
    finally:
        await pool.close()


@contextmanager
def _database(workdir: Path) -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    postgres = EmbeddedPostgres(workdir / "postgres", free_port(), durable=False, temporary=True)
    postgres.start(workdir / "postgres.log")
    try:
        yield postgres.url()
    finally:
        postgres.stop()


@contextmanager
def _capture(workdir: Path) -> Iterator[int]:
    port = free_port()
    process = spawn(
        [
            sys.executable,
            "-m",
            "parcelwatch.cli",
            "dev",
            "mail",
            "--folder",
            str(workdir / "mail"),
            "--smtp-port",
            str(port),
            "--http-port",
            str(free_port()),
        ],
        log_path=workdir / "capture.log",
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30, process=process)
        yield port
    finally:
        stop(process)


def main() -> None:
    pairs = _events(MESSAGES)
    emails = _emails(pairs)
    with (
        tempfile.TemporaryDirectory(prefix="bench-notifier-") as tmp,
        _database(Path(tmp)) as admin_url,
        _capture(Path(tmp)) as port,
    ):
        bare = asyncio.run(_bare_loop(port, emails))
        print(f"messages: {MESSAGES} (customer_shipped, ~{len(emails[0].data)} bytes each)")
        print(f"bare aiosmtplib loop, 1 connection:  {MESSAGES / bare:8.0f} e-mails/s (baseline)")
        for width in CONCURRENCY:
            intake, send = asyncio.run(_notifier(admin_url, port, pairs, width))
            print(
                f"notifier, {width} in flight: intake {2 * MESSAGES / intake:6.0f} events/s, "
                f"send {MESSAGES / send:6.0f} e-mails/s ({bare / send:.2f}x baseline), "
                f"end to end {MESSAGES / (intake + send):6.0f} e-mails/s "
                f"({bare / (intake + send):.2f}x baseline)"
            )
