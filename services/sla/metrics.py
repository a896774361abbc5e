"""Prometheus metrics of the sla service, in the service's registry."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.sla.assessment import OrderState

OPEN_STATES: tuple[OrderState, ...] = tuple(
    s for s in OrderState if s not in (OrderState.CANCELLED, OrderState.DECLINED)
)
"""The states an open order can be in: every state but cancelled and payment declined."""


class SlaMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.open_orders = Gauge(
            "parcelwatch_sla_open_orders",
            "Orders not cancelled, by SLA state (refreshed every SLA_CENSUS_INTERVAL).",
            ["state"],
            registry=registry,
        )
        self.breaches = Counter(
            "parcelwatch_sla_breaches_total",
            "SLA events raised, by kind and severity tier (an escalation counts again).",
            ["kind", "severity"],
            registry=registry,
        )
        self.watermark_lag = Gauge(
            "parcelwatch_sla_watermark_lag_seconds",
            "How far verdicts are held behind now while the consumers catch up (0: caught up).",
            registry=registry,
        )
        self.resolved = Counter(
            "parcelwatch_sla_resolved_total",
            "SLA situations that cleared, by the kind that cleared.",
            ["kind"],
            registry=registry,
        )
        self.notices = Counter(
            "parcelwatch_sla_notices_total",
            "Notices emitted (a delivery with its documents window, a dispute's documents "
            "all in), by kind.",
            ["kind"],
            registry=registry,
        )
        self.sweep_seconds = Histogram(
            "parcelwatch_sla_sweep_duration_seconds",
            "Time of one sweep: every due deadline found, assessed and emitted.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        )
        self.oldest_due = Gauge(
            "parcelwatch_sla_oldest_unprocessed_deadline_seconds",
            "How overdue the earliest deadline still waiting for the sweeper was at the "
            "start of the last sweep (0 when none was due).",
            registry=registry,
        )
        self.sweep_failures = Counter(
            "parcelwatch_sla_sweep_failures_total",
            "Orders the sweeper could not assess (retried on the next sweep), and sweeps "
            "interrupted by an outage.",
            ["error"],
            registry=registry,
        )
        self.scorecard = Gauge(
            "parcelwatch_sla_scorecard_ratio",
            "Marketplace-wide seller scorecard rates (late_shipment, valid_tracking, "
            "on_time_delivery, dispute) over the trailing 7d and 30d windows; NaN while no "
            "order counts (refreshed every SLA_SCORECARD_INTERVAL).",
            ["rate", "window"],
            registry=registry,
        )
        self.carrier_transit = Gauge(
            "parcelwatch_sla_carrier_transit_seconds",
            "Carrier transit time, first carrier scan to delivery, of the journeys that ended "
            "in the last 7 days (quantile 0.5 and 0.9; NaN without a delivery; refreshed every "
            "SLA_ANALYTICS_INTERVAL).",
            ["carrier", "quantile"],
            registry=registry,
        )
        self.carrier_first_scan = Gauge(
            "parcelwatch_sla_carrier_first_scan_seconds",
            "Time from the label to the first carrier scan, of the journeys that ended in the "
            "last 7 days (quantile 0.5 and 0.9).",
            ["carrier", "quantile"],
            registry=registry,
        )
        self.carrier_ratio = Gauge(
            "parcelwatch_sla_carrier_ratio",
            "Carrier rates over the journeys that ended in the last 7 days: on_time (against "
            "the first estimate), exception, delivery_attempt, return_to_sender; NaN while "
            "none counts.",
            ["carrier", "rate"],
            registry=registry,
        )
        self.carrier_journeys = Gauge(
            "parcelwatch_sla_carrier_journeys",
            "Journeys that ended (delivered or returned to sender) in the last 7 days.",
            ["carrier"],
            registry=registry,
        )
        self.breaches_last_day = Gauge(
            "parcelwatch_sla_breaches_last_day",
            "Breaches first raised (change=opened) and resolved (change=resolved) in the last "
            "24 hours, by kind.",
            ["kind", "change"],
            registry=registry,
        )
        self.disputes_last_week = Gauge(
            "parcelwatch_sla_disputes_last_week",
            "Delivered-but-disputed reports (change=reported) and resolutions "
            "(change=resolved) in the last 7 days.",
            ["change"],
            registry=registry,
        )
