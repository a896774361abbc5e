"""``parcelwatch dlq``: read dead letters and replay them to the topic they came from.

Replaying is safe: consumers drop an event id they already processed (inbox), so a
dead letter replayed twice, or one whose cause was fixed meanwhile, has one effect.
"""

import asyncio
from dataclasses import dataclass

import click
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.contracts.topics import DLQ_SUFFIX
from shared.infra.deadletter import SEALED, Sealer, SealError
from shared.infra.settings import DeadLetterSettings, KafkaSettings


class DlqSettings(KafkaSettings, DeadLetterSettings):
    """What ``parcelwatch dlq`` reads from the environment."""


@dataclass(frozen=True)
class DeadLetter:
    """One record of a ``.dlq`` topic, headers decoded."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> "DeadLetter":
        headers = {name: raw.decode("utf-8", "replace") for name, raw in record.headers}
        return cls(record.partition, record.offset, record.key, record.value or b"", headers)

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def origin(self) -> str:
        if "dlq-origin-topic" not in self.headers:
            raise click.ClickException(f"{self.position} has no dlq-origin-topic header")
        return self.headers["dlq-origin-topic"]

    def original(self, sealer: Sealer | None) -> bytes:
        """The value as the consumer received it."""
        if "dlq-value-dropped" in self.headers:
            raise click.ClickException(
                f"{self.position}: the value was too large and was not kept "
                f"({self.headers['dlq-value-dropped']}); replay it from its producer"
            )
        if self.headers.get("dlq-value-encoding") != SEALED:
            return self.value
        if sealer is None:
            raise click.ClickException(f"{self.position} is sealed: set DLQ_ENCRYPTION_KEYS")
        try:
            return sealer.open(self.value)
        except SealError as exc:
            raise click.ClickException(f"{self.position}: {exc}") from None

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v.encode()) for k, v in self.headers.items() if not k.startswith("dlq-")]


async def read(settings: KafkaSettings, topic: str) -> list[DeadLetter]:
    """Every record now on ``topic``, in partition and offset order."""
    consumer: AIOKafkaConsumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()  # refreshes the metadata of every topic
        numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            raise click.ClickException(f"topic {topic} does not exist")
        assigned = [TopicPartition(topic, p) for p in sorted(numbers)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        letters: list[DeadLetter] = []
        for tp in assigned:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                letters.extend(DeadLetter.of(r) for r in batch.get(tp, []))
        return letters
    finally:
        await consumer.stop()


def dead_letter_topic(settings: KafkaSettings, topic: str) -> str:
    """The physical dead-letter topic of contract topic ``topic`` (or of itself)."""
    name = topic if topic.endswith(DLQ_SUFFIX) else f"{topic}{DLQ_SUFFIX}"
    return settings.topic(name)


@click.group()
def dlq() -> None:
    """Dead letters: list them, replay them, make a sealing key."""


@dlq.command("new-key")
def new_key() -> None:
    """Print a new key for DLQ_ENCRYPTION_KEYS (put it first to rotate)."""
    click.echo(Sealer.new_key())


@dlq.command("list")
@click.argument("topic")
def list_letters(topic: str) -> None:
    """Dead letters of TOPIC (e.g. `tracking.v1`): position, origin, service, error."""
    settings = DlqSettings()
    letters = asyncio.run(read(settings, dead_letter_topic(settings, topic)))
    for letter in letters:
        h = letter.headers
        click.echo(
            f"{letter.position}  from {h.get('dlq-origin-topic', '?')}@"
            f"{h.get('dlq-origin-partition', '?')}:"
            f"{h.get('dlq-origin-offset', '?')}  {h.get('dlq-service', '?')}  "
            f"{h.get('dlq-failed-at', '?')}  {h.get('dlq-error', '')}"
        )
    click.echo(f"{len(letters)} dead letter(s)")


@dlq.command()
@click.argument("topic")
@click.option("--at", "positions", multiple=True, metavar="P:O", help="Only these (repeat).")
@click.option("--all", "everything", is_flag=True, help="Every dead letter of TOPIC.")
def replay(topic: str, positions: tuple[str, ...], everything: bool) -> None:
    """Publish dead letters of TOPIC again to the topic they came from, unsealed."""
    if everything == bool(positions):
        raise click.UsageError("give either --all or --at P:O")
    settings = DlqSettings()
    keys = settings.dlq_encryption_keys
    sealer = Sealer(keys) if keys is not None else None
    letters = asyncio.run(read(settings, dead_letter_topic(settings, topic)))
    if positions:
        wanted = set(positions)
        letters = [letter for letter in letters if letter.position in wanted]
        missing = wanted - {letter.position for letter in letters}
        if missing:
            raise click.ClickException(f"no dead letter at {', '.join(sorted(missing))}")
    messages = [(letter, letter.original(sealer)) for letter in letters]
    asyncio.run(_publish(settings, messages))
    click.echo(f"replayed {len(messages)} dead letter(s)")


async def _publish(settings: KafkaSettings, messages: list[tuple[DeadLetter, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_idempotence=settings.kafka_enable_idempotence,
        acks="all",
    )
    await producer.start()
    try:
        for letter, value in messages:
            await producer.send_and_wait(
                letter.origin, value, key=letter.key, headers=letter.original_headers()
            )
    finally:
        await producer.stop()
