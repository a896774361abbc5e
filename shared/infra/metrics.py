"""Prometheus metrics of the shared machinery, named ``parcelwatch_<service>_<thing>_<unit>``."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class InfraMetrics:
    """Outbox, consumer, dead-letter and broker-loss metrics of one service, in its own registry."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        prefix = f"parcelwatch_{service}"
        self.consumed = Counter(
            f"{prefix}_messages_consumed_total",
            "Messages taken from Kafka, by topic and outcome "
            "(processed, duplicate, ignored, dead_lettered).",
            ["topic", "outcome"],
            registry=self.registry,
        )
        self.retries = Counter(
            f"{prefix}_message_retries_total",
            "Handler attempts that failed and were retried, by topic and error class.",
            ["topic", "error"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            f"{prefix}_handler_duration_seconds",
            "Time to process one message, retries included.",
            ["topic"],
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            f"{prefix}_dead_letters_total",
            "Messages sent to a dead-letter topic, by origin topic.",
            ["topic"],
            registry=self.registry,
        )
        self.outbox_published = Counter(
            f"{prefix}_outbox_published_total",
            "Outbox rows published to Kafka, by topic.",
            ["topic"],
            registry=self.registry,
        )
        self.outbox_lag = Gauge(
            f"{prefix}_outbox_lag_seconds",
            "Age of the oldest unpublished outbox row (0 when none).",
            registry=self.registry,
        )
        self.outbox_errors = Counter(
            f"{prefix}_outbox_errors_total",
            "Relay rounds that failed (broker or database unavailable).",
            registry=self.registry,
        )
        self.broker_data_losses = Counter(
            f"{prefix}_broker_data_losses_total",
            "Times the broker was seen to have lost topics or records.",
            registry=self.registry,
        )
        self.topic_checks = Counter(
            f"{prefix}_topic_checks_total",
            "Looks the topic guard took at the broker's topics (end offsets, partitions).",
            registry=self.registry,
        )
