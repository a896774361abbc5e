"""Poller metrics, ``parcelwatch_poller_<thing>_<unit>``; labels never carry a number or id."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "parcelwatch_poller"


class PollerMetrics:
    """The poller's own metrics, in the service's registry beside the shared ones."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.api_calls = Counter(
            f"{PREFIX}_api_calls_total",
            "Carrier tracking API calls, by carrier and outcome "
            "(ok, rate_limited, carrier_down, auth_failed, malformed).",
            ["carrier", "outcome"],
            registry=registry,
        )
        self.api_failures = Counter(
            f"{PREFIX}_api_failures_total",
            "Failed carrier API attempts, by carrier and reason (rate_limited, server_error, "
            "timeout, deadline, connection, auth, too_large, not_json, unknown_error, malformed).",
            ["carrier", "reason"],
            registry=registry,
        )
        self.api_retries = Counter(
            f"{PREFIX}_api_retries_total",
            "Carrier API attempts repeated within one call, by carrier and the reason of the "
            "failure before.",
            ["carrier", "reason"],
            registry=registry,
        )
        self.api_seconds = Histogram(
            f"{PREFIX}_api_call_duration_seconds",
            "Duration of one carrier tracking API call (token requests included).",
            ["carrier"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30),
            registry=registry,
        )
        self.polls = Counter(
            f"{PREFIX}_polls_total",
            "Shipments polled, by carrier and result "
            "(updated, unchanged, not_found, invalid, failed).",
            ["carrier", "result"],
            registry=registry,
        )
        self.rate_limit_waits = Counter(
            f"{PREFIX}_rate_limit_waits_total",
            "Calls that waited for the carrier's rate limit or Retry-After.",
            ["carrier"],
            registry=registry,
        )
        self.rate_limit_wait_seconds = Counter(
            f"{PREFIX}_rate_limit_wait_seconds_total",
            "Time spent waiting for the carrier's rate limit or Retry-After.",
            ["carrier"],
            registry=registry,
        )
        self.token_refreshes = Counter(
            f"{PREFIX}_token_refreshes_total",
            "OAuth token requests sent to a carrier.",
            ["carrier"],
            registry=registry,
        )
        self.problems = Counter(
            f"{PREFIX}_parse_problems_total",
            "Problems other than unmapped codes found in carrier answers, by carrier and "
            "code (naive_time, unparseable_time, duplicate_results, ...).",
            ["carrier", "code"],
            registry=registry,
        )
        self.unmapped_codes = Counter(
            f"{PREFIX}_unmapped_codes_total",
            "Carrier codes (or texts) in an answer that map to no known status.",
            ["carrier"],
            registry=registry,
        )
        self.events = Counter(
            f"{PREFIX}_events_published_total",
            "Events written to the outbox (the relay publishes them), by type.",
            ["type"],
            registry=registry,
        )
        self.shipments = Gauge(
            f"{PREFIX}_active_shipments",
            "Shipments still polled, by carrier and status (pending: no scan yet).",
            ["carrier", "status"],
            registry=registry,
        )
        self.poll_lag = Gauge(
            f"{PREFIX}_poll_lag_seconds",
            "Now minus the oldest next_poll_at that is due (0 when none is due).",
            ["carrier"],
            registry=registry,
        )
        self.breaker_open = Gauge(
            f"{PREFIX}_circuit_open",
            "1 while the carrier's circuit breaker is open or half-open, else 0.",
            ["carrier"],
            registry=registry,
        )
        self.breaker_transitions = Counter(
            f"{PREFIX}_circuit_transitions_total",
            "Circuit breaker state changes, by carrier and the state entered "
            "(open, half_open, closed).",
            ["carrier", "state"],
            registry=registry,
        )
        self.webhook_calls = Counter(
            f"{PREFIX}_webhook_calls_total",
            "Carrier push calls, by carrier and outcome "
            "(accepted, unknown_number, unauthorized, invalid).",
            ["carrier", "outcome"],
            registry=registry,
        )
