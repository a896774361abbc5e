"""Dead letters are sealed on their topic, listed and replayed by ``parcelwatch dlq``
with the keys of ``DLQ_ENCRYPTION_KEYS`` (old keys still open them after a rotation)."""

import asyncio

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from parcelwatch.cli import main
from shared.contracts.envelope import new_event
from shared.contracts.topics import dead_letter
from shared.infra.deadletter import SEALED, DeadLetters, Sealer
from shared.infra.kafka import Record, create_broker
from shared.infra.metrics import InfraMetrics
from shared.infra.settings import KafkaSettings
from tests.support import events
from tests.support.kafka import create_topics, read_all, unique

OLD_KEY, NEW_KEY = Sealer.new_key(), Sealer.new_key()


async def _dead_letter(settings: KafkaSettings, topic: str, value: bytes) -> None:
    broker = create_broker(settings, client_id="test")
    letters = DeadLetters(
        broker,
        service="test",
        group_id="test.group",
        metrics=InfraMetrics("test"),
        sealer=Sealer(SecretStr(OLD_KEY)),
    )
    await broker.start()
    try:
        record = Record(topic, 1, 7, b"o-1", value, (("content-type", b"application/json"),))
        await letters.send(record, "invalid event: data.placed_at: not a time")
    finally:
        await broker.stop()


@pytest.fixture
def setup(kafka_settings: KafkaSettings) -> tuple[KafkaSettings, str, bytes]:
    prefix = unique("dlq") + "."
    settings = kafka_settings.model_copy(update={"kafka_topic_prefix": prefix})
    topic = settings.topic("orders.v1")
    bootstrap = settings.kafka_bootstrap_servers
    asyncio.run(create_topics(bootstrap, topic, dead_letter(topic), partitions=2))
    value = new_event(events.order_placed("o-1"), "tests").to_json()
    asyncio.run(_dead_letter(settings, topic, value))
    return settings, topic, value


def _cli(settings: KafkaSettings, keys: str, *args: str) -> tuple[int, str]:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "KAFKA_ENABLE_IDEMPOTENCE": str(settings.kafka_enable_idempotence).lower(),
        "DLQ_ENCRYPTION_KEYS": keys,
    }
    result = CliRunner().invoke(main, ["dlq", *args], env=env)
    return result.exit_code, result.output


def test_a_sealed_dead_letter_is_listed_and_replayed_to_its_topic(
    setup: tuple[KafkaSettings, str, bytes],
) -> None:
    settings, topic, value = setup
    bootstrap = settings.kafka_bootstrap_servers
    [letter] = asyncio.run(read_all(bootstrap, dead_letter(topic), expect=1))
    assert letter.value != value and b'"' not in letter.value  # no JSON left: base64
    assert ("dlq-value-encoding", SEALED.encode()) in letter.headers

    code, output = _cli(settings, f"{NEW_KEY},{OLD_KEY}", "list", "orders.v1")
    assert code == 0, output
    assert f"{topic}@1:7" in output and "data.placed_at: not a time" in output
    assert "1 dead letter(s)" in output

    position = f"{letter.partition}:{letter.offset}"
    code, output = _cli(settings, f"{NEW_KEY},{OLD_KEY}", "replay", "orders.v1", "--at", position)
    assert code == 0, output
    [replayed] = asyncio.run(read_all(bootstrap, topic, expect=1))
    assert replayed.value == value and replayed.key == b"o-1"
    headers = dict(replayed.headers)
    assert headers["content-type"] == b"application/json"
    assert not [name for name in headers if name.startswith("dlq-")]


def test_replay_refuses_without_the_key_and_publishes_nothing(
    setup: tuple[KafkaSettings, str, bytes],
) -> None:
    settings, topic, _ = setup
    code, output = _cli(settings, NEW_KEY, "replay", "orders.v1", "--all")
    assert code != 0 and "sealed with a key not in DLQ_ENCRYPTION_KEYS" in output
    code, output = _cli(settings, NEW_KEY, "replay", "orders.v1", "--at", "0:99")
    assert code != 0 and "no dead letter at 0:99" in output
    assert asyncio.run(read_all(settings.kafka_bootstrap_servers, topic, expect=0)) == []
