"""Canary run of the poller against the carrier emulator: carrier secrets and a customer's
address set to unique strings, parcels on good and failing paths (429, 5xx, expired token),
a dead-lettered message; then logs, ``/metrics`` and dead letters are searched for them."""

import io
import json
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from parcelwatch.dev.emulator.scenarios import Scenario
from shared.contracts import topics
from shared.infra.kafka import ensure_topics
from tests.integration.notifier.harness import eventually
from tests.integration.notifier.scenario import order_placed
from tests.integration.poller.test_poller import (
    emulator,
    fresh_database,
    parcel,
    poller_settings,
    register,
    registration,
    start,
    tracking_events,
)
from tests.support.infrastructure import Broker, Database
from tests.support.kafka import read_all, unique
from tests.support.services import running

pytestmark = pytest.mark.asyncio

TOKEN = uuid.uuid4().hex[:12]
SECRETS = {
    "ups": {
        "client_secret": f"ups-secret-canary-{TOKEN}",
        "webhook_credential": f"webhook-canary-{TOKEN}",
    },
    "fedex": {"secret_key": f"fedex-secret-canary-{TOKEN}"},
    "usps": {"client_secret": f"usps-secret-canary-{TOKEN}"},
    "dhl": {"api_key": f"dhl-key-canary-{TOKEN}"},
}
CUSTOMER = f"cust.canary.{TOKEN}@example.com"
CANARIES = (*(s for carrier in SECRETS.values() for s in carrier.values()), CUSTOMER, TOKEN)


def hits(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


async def test_poller_leaks_no_carrier_secret_or_address(
    broker: Broker, postgres: Database, log_buffer: io.StringIO
) -> None:
    parcels = [
        parcel("ups", Scenario.RATE_LIMITED),
        parcel("usps", Scenario.EXPIRED_TOKEN),
        parcel("dhl", Scenario.SERVER_ERROR),
        parcel("fedex", Scenario.ON_TIME),
        parcel("dhl", Scenario.ON_TIME),
    ]
    async with emulator() as emulated, fresh_database(postgres) as url:
        settings = poller_settings(url, broker, emulated, unique("pc") + ".", carriers=SECRETS)
        await ensure_topics(settings, topics.all_with_dead_letters())
        service = await start(settings, emulated.clock)
        async with running(service):
            poison = json.loads(registration("o-x", "sh-x", "dhl", "123").to_json())
            poison["data"]["carrier"] = "Not A Carrier"
            await register(
                settings,
                order_placed(unique("o").replace("_", "-"), customer_email=CUSTOMER),
                *(registration(p.order_id, p.shipment_id, p.carrier, p.number) for p in parcels),
            )
            async with httpx.AsyncClient() as client:
                await client.post(
                    f"http://127.0.0.1:{settings.http_port}/webhooks/ups/track-alert",
                    headers={"x-api-key": "wrong"},
                    json={},
                )
            producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
            await producer.start()
            try:
                await producer.send_and_wait(
                    settings.topic(topics.ORDERS), json.dumps(poison).encode(), key=b"o-x"
                )
            finally:
                await producer.stop()
            await tracking_events(settings, expect=8, timeout=30)
            async with httpx.AsyncClient() as client:
                metrics = (await client.get(f"http://127.0.0.1:{settings.http_port}/metrics")).text
        letters = await eventually(
            lambda: read_all(
                settings.kafka_bootstrap_servers,
                settings.topic(topics.ORDERS) + ".dlq",
                expect=1,
                timeout=5,
            ),
            lambda records: len(records) >= 1,
        )
    logs = log_buffer.getvalue()
    assert logs.count("\n") > 20, "logging was not captured"
    assert "dead-lettered" in logs
    assert [line for line in logs.splitlines() if hits(line)] == []
    assert "parcelwatch_poller_api_calls_total" in metrics
    failing = ('outcome="rate_limited"', 'outcome="carrier_down"', 'outcome="auth_failed"')
    assert any(outcome in metrics for outcome in failing), "the failing paths did not run"
    assert hits(metrics) == []
    for record in letters:
        # The value is the original record, kept for replay: only our headers are checked.
        assert hits(repr(record.headers)) == []
