"""Dead-letter publishing: the original record, sealed, to ``<topic>.dlq`` with the error."""

import logging
from datetime import UTC, datetime

from aiokafka.errors import MessageSizeTooLargeError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from faststream.kafka import KafkaBroker
from pydantic import SecretStr

from shared.contracts.topics import dead_letter
from shared.infra.kafka import Record
from shared.infra.metrics import InfraMetrics

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000
SEALED = "fernet"


class SealError(ValueError):
    """A dead letter's value cannot be opened with the configured keys."""


class Sealer:
    """Encrypts dead-letter values (Fernet: AES-128-CBC + HMAC-SHA256) so the original
    message, and the personal data in it, can be replayed by whoever holds a key but is
    not readable on the topic."""

    def __init__(self, keys: SecretStr) -> None:
        parts = [k.strip() for k in keys.get_secret_value().split(",") if k.strip()]
        if not parts:
            raise ValueError("DLQ_ENCRYPTION_KEYS holds no key")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in parts])
        except ValueError:
            raise ValueError(
                "DLQ_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes "
                "(make one with `parcelwatch dlq new-key`)"
            ) from None

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, value: bytes) -> bytes:
        return self._fernet.encrypt(value)

    def open(self, value: bytes) -> bytes:
        try:
            return self._fernet.decrypt(value)
        except InvalidToken:
            raise SealError("sealed with a key not in DLQ_ENCRYPTION_KEYS") from None


def sealer_from(keys: SecretStr | None) -> Sealer | None:
    """The sealer for these keys; without keys, a warning that values go in clear."""
    if keys is None or not keys.get_secret_value().strip():
        log.warning(
            "DLQ_ENCRYPTION_KEYS is not set: dead letters keep personal data in clear",
        )
        return None
    return Sealer(keys)


class DeadLetters:
    """Sends records that cannot be processed to their topic's dead-letter topic.

    The key is kept and the value sealed (``dlq-value-encoding: fernet``) or, without a
    sealer, kept byte for byte, so the message can be replayed (``parcelwatch dlq
    replay``); the reason and the origin travel in ``dlq-*`` headers. A value too large
    for our producer (the broker took it from a producer with a higher limit) goes without
    its value, its size in ``dlq-value-dropped``: retrying could never succeed and would
    block the partition.
    """

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        service: str,
        group_id: str,
        metrics: InfraMetrics,
        sealer: Sealer | None = None,
    ):
        self._broker = broker
        self._service = service
        self._group_id = group_id
        self._metrics = metrics
        self._sealer = sealer

    async def send(self, record: Record, error: str) -> None:
        headers = {name: value.decode("utf-8", "replace") for name, value in record.headers}
        headers.update(
            {
                "dlq-error": error[:MAX_ERROR_LENGTH],
                "dlq-origin-topic": record.topic,
                "dlq-origin-partition": str(record.partition),
                "dlq-origin-offset": str(record.offset),
                "dlq-consumer-group": self._group_id,
                "dlq-service": self._service,
                "dlq-failed-at": datetime.now(UTC).isoformat(),
            }
        )
        value = record.value
        if self._sealer is not None:
            value = self._sealer.seal(value)
            headers["dlq-value-encoding"] = SEALED
        try:
            await self._broker.publish(
                value, dead_letter(record.topic), key=record.key, headers=headers
            )
        except MessageSizeTooLargeError:
            headers["dlq-value-dropped"] = f"{len(record.value)} bytes"
            headers.pop("dlq-value-encoding", None)
            await self._broker.publish(
                b"", dead_letter(record.topic), key=record.key, headers=headers
            )
        self._metrics.dead_lettered.labels(record.topic).inc()
        log.warning(
            "message dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": error[:MAX_ERROR_LENGTH],
            },
        )
