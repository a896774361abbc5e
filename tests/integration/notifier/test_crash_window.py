"""The one ambiguous window: the process dies after the SMTP server accepted a message
and before the notifier recorded it. The message is sent again, once, and counted."""

import asyncio
import json
import os
import sys
from pathlib import Path

from services.notifier.sender import CRASH_POINT
from shared.infra.crash import ENV_VAR, EXIT_CODE
from tests.integration.notifier.harness import rig, serving
from tests.integration.notifier.scenario import (
    customer_address,
    new_order_id,
    order_placed,
    trigger,
)
from tests.support import infrastructure
from tests.support.kafka import read_all


async def test_a_crash_after_the_server_accepted_sends_once_more_and_is_counted(
    postgres: infrastructure.Database, broker: infrastructure.Broker, tmp_path: Path
) -> None:
    async with rig(postgres, broker, tmp_path / "mail") as parts:
        order_id = new_order_id()
        for event in (order_placed(order_id), trigger("shipped", order_id)):
            await parts.producer.send_and_wait(
                parts.settings.topic(event.data.topic), event.to_json(), key=event.key
            )
        settings = parts.settings
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url.get_secret_value(),
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "KAFKA_ENABLE_IDEMPOTENCE": str(settings.kafka_enable_idempotence).lower(),
            "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
            "NOTIFIER_HTTP_PORT": str(settings.http_port),
            "SMTP_PORT": str(settings.smtp_port),
            "LOG_FORMAT": "text",
            ENV_VAR: CRASH_POINT,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "parcelwatch.cli",
            "run",
            "notifier",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
        assert process.returncode == EXIT_CODE, stderr.decode()[-2000:]
        assert len(parts.store.names()) == 1  # accepted by the server, never recorded

        async with serving(parts) as harness:
            assert await harness.settled(order_id, 1) == {"customer_shipped": "sent"}
            assert harness.metric("parcelwatch_notifier_ambiguous_sends_total") == 1
            mails = harness.mails_to(customer_address(order_id))  # captured before "sent"
            assert len(mails) == 2  # one duplicate at most…
            assert mails[0].message_id == mails[1].message_id  # …recognizable as one message
            records = await read_all(
                settings.kafka_bootstrap_servers, settings.topic("notifications.v1"), expect=1
            )
            outcomes = [json.loads(r.value) for r in records if r.value]
            assert [(e["type"], e["subject"]) for e in outcomes] == [
                ("notification.sent", order_id)
            ]
