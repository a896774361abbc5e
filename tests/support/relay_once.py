"""Run one outbox relay round in a separate process: ``python relay_once.py URL BOOTSTRAP
SCHEMA BATCH``. The outbox test runs it with a crash point set, to kill it for real."""

import asyncio
import sys

from shared.infra import db
from shared.infra.kafka import KafkaPublisher, create_broker
from shared.infra.metrics import InfraMetrics
from shared.infra.outbox import OutboxRelay
from shared.infra.settings import DatabaseSettings, KafkaSettings


async def main(url: str, bootstrap: str, schema: str, batch: int) -> None:
    pool = await db.create_pool(
        DatabaseSettings(database_url=url), application_name="relay-once", schema=schema
    )
    broker = create_broker(
        KafkaSettings(kafka_bootstrap_servers=bootstrap, kafka_enable_idempotence=False),
        client_id="relay-once",
    )
    await broker.start()
    try:
        relay = OutboxRelay(
            pool, KafkaPublisher(broker), schema, InfraMetrics(schema), batch_size=batch
        )
        await relay.relay_once()
    finally:
        await broker.stop()
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
