"""Dead-letter publishing: the original record, untouched, to ``<topic>.dlq`` with the error."""

import logging
from datetime import UTC, datetime

from aiokafka.errors import MessageSizeTooLargeError
from faststream.kafka import KafkaBroker

from shared.contracts.topics import dead_letter
from shared.infra.kafka import Record
from shared.infra.metrics import InfraMetrics

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000


class DeadLetters:
    """Sends records that cannot be processed to their topic's dead-letter topic.

    The value and key are kept byte for byte so the message can be replayed; the reason
    and the origin travel in ``dlq-*`` headers. A value too large for our producer (the
    broker took it from a producer with a higher limit) goes without its value, its size
    in ``dlq-value-dropped``: retrying could never succeed and would block the partition.
    """

    def __init__(self, broker: KafkaBroker, *, service: str, group_id: str, metrics: InfraMetrics):
        self._broker = broker
        self._service = service
        self._group_id = group_id
        self._metrics = metrics

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
        try:
            await self._broker.publish(
                record.value, dead_letter(record.topic), key=record.key, headers=headers
            )
        except MessageSizeTooLargeError:
            headers["dlq-value-dropped"] = f"{len(record.value)} bytes"
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
