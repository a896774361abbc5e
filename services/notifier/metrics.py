"""The notifier's own metrics, beside the shared ones, in the service's registry.

Labels stay of low cardinality: kind, channel, outcome, a failure reason label; never an
order id, an address or a name.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "parcelwatch_notifier"


class NotifierMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.notifications = Counter(
            f"{PREFIX}_notifications_total",
            "Messages finished, by kind, channel and outcome (sent, failed, skipped).",
            ["kind", "channel", "outcome"],
            registry=registry,
        )
        self.send_seconds = Histogram(
            f"{PREFIX}_send_duration_seconds",
            "Time for the server to accept (or refuse) one message.",
            ["channel"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.retries = Counter(
            f"{PREFIX}_send_retries_total",
            "Transient send failures scheduled for another attempt, by channel and reason.",
            ["channel", "reason"],
            registry=registry,
        )
        self.ambiguous = Counter(
            f"{PREFIX}_ambiguous_sends_total",
            "Messages found mid-send with no live sender (a crash after the server may have "
            "accepted them): sent again, so each is at most one duplicate.",
            registry=registry,
        )
        self.pending = Gauge(
            f"{PREFIX}_pending_notifications",
            "Messages not finished: awaiting_order (trigger events waiting for their order), "
            "queued (due or waiting to retry), sending.",
            ["state"],
            registry=registry,
        )
