"""Settings of the poller service: the shared ones, its own `POLLER_…` settings, and each
carrier's, which its folder declares and reads under its own prefix (`<SLUG>_…`)."""

from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from services.poller.carriers.registry import registry
from services.poller.carriers.settings import CarrierSettings
from services.poller.scheduler import PollingPolicy
from shared.infra.service import ServiceSettings


def _seconds(value: object) -> object:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


Interval = Annotated[timedelta, BeforeValidator(_seconds), Field(gt=timedelta(0))]
"""Seconds (``900``) or an ISO 8601 duration (``PT15M``)."""

_POLICY = PollingPolicy()


def _every_carrier(given: dict[str, CarrierSettings]) -> dict[str, CarrierSettings]:
    """The given carriers' settings; the others' read from the environment."""
    return {slug: given.get(slug) or plugin.settings() for slug, plugin in registry().items()}


def _interval(default: timedelta, name: str, description: str) -> Any:
    return Field(default, validation_alias=f"POLLER_{name}", description=description)


class PollerSettings(ServiceSettings):
    """Everything the poller service reads from the environment (or `.env`)."""

    http_port: int = Field(
        8081,
        validation_alias="POLLER_HTTP_PORT",
        description="Port of the poller health, metrics and query API server.",
    )
    api_token: SecretStr | None = Field(
        None,
        validation_alias="POLLER_API_TOKEN",
        description="Bearer token the query API requires when set (health and metrics stay open).",
    )
    sandbox: bool = Field(
        False,
        validation_alias="POLLER_SANDBOX",
        description="Use the carriers' sandbox hosts where no base URL is set, and accept "
        "numbers that fail only their check digit (some carriers' test numbers do).",
    )

    carriers: Annotated[dict[str, CarrierSettings], AfterValidator(_every_carrier)] = Field(
        default_factory=lambda: _every_carrier({}),
        description="Each carrier's settings by slug, read under its own prefix (`<SLUG>_…`): "
        "host, credentials, quota, concurrency (services/poller/carriers/<slug>/settings.py).",
    )

    # --- calls ------------------------------------------------------------------------------
    request_timeout: float = Field(
        15.0,
        gt=0,
        validation_alias="POLLER_REQUEST_TIMEOUT",
        description="Seconds before a carrier request times out (a retriable failure).",
    )
    call_deadline: float = Field(
        30.0,
        gt=0,
        validation_alias="POLLER_CALL_DEADLINE",
        description="Seconds one carrier call may take in all (token request, 401 retry and "
        "the whole body included) before it counts as a timeout; stops bodies that trickle in.",
    )
    max_response_bytes: int = Field(
        4 * 1024 * 1024,
        gt=0,
        validation_alias="POLLER_MAX_RESPONSE_BYTES",
        description="Largest carrier response body read; a longer one is refused while it "
        "streams in (a malformed answer), so memory stays bounded.",
    )
    call_retries: int = Field(
        3,
        ge=0,
        validation_alias="POLLER_CALL_RETRIES",
        description="Retries of a call answered 429, 5xx or timing out.",
    )
    retry_backoff: float = Field(
        1.0,
        gt=0,
        validation_alias="POLLER_RETRY_BACKOFF",
        description="First retry backoff in seconds; doubles each attempt (jittered).",
    )
    retry_max_wait: float = Field(
        30.0,
        gt=0,
        validation_alias="POLLER_RETRY_MAX_WAIT",
        description="Longest wait (Retry-After, backoff) a retry holds a batch for; "
        "longer ones go back to the scheduler.",
    )
    breaker_failures: int = Field(
        5,
        ge=1,
        validation_alias="POLLER_BREAKER_FAILURES",
        description="Consecutive failed calls that open a carrier's circuit.",
    )
    breaker_cooldown: float = Field(
        60.0,
        gt=0,
        validation_alias="POLLER_BREAKER_COOLDOWN",
        description="Seconds an open circuit waits before one probe call.",
    )

    # --- workers ----------------------------------------------------------------------------
    lease: Interval = Field(
        timedelta(minutes=5),
        validation_alias="POLLER_LEASE",
        description="Real time a claimed shipment is not due for anyone else; "
        "must exceed a call with its retries.",
    )
    idle_interval: float = Field(
        1.0,
        gt=0,
        validation_alias="POLLER_IDLE_INTERVAL",
        description="Seconds a worker waits when nothing is due (a shipment registered by"
        " this replica wakes its carrier's worker at once).",
    )
    stats_interval: float = Field(
        15.0,
        gt=0,
        validation_alias="POLLER_STATS_INTERVAL",
        description="Seconds between refreshes of the shipments and poll-lag gauges.",
    )

    # --- scheduling policy (docs/poller.md) -----------------------------------------------
    interval_pending: Interval = _interval(_POLICY.pending, "INTERVAL_PENDING", "No scan yet.")
    interval_label_created: Interval = _interval(
        _POLICY.label_created, "INTERVAL_LABEL_CREATED", "Label created, waiting for pickup."
    )
    interval_in_transit: Interval = _interval(
        _POLICY.in_transit, "INTERVAL_IN_TRANSIT", "In transit."
    )
    interval_out_for_delivery: Interval = _interval(
        _POLICY.out_for_delivery, "INTERVAL_OUT_FOR_DELIVERY", "Out for delivery."
    )
    interval_delivery_attempted: Interval = _interval(
        _POLICY.delivery_attempted, "INTERVAL_DELIVERY_ATTEMPTED", "Delivery attempted."
    )
    interval_available_for_pickup: Interval = _interval(
        _POLICY.available_for_pickup, "INTERVAL_AVAILABLE_FOR_PICKUP", "Awaiting collection."
    )
    interval_exception: Interval = _interval(_POLICY.exception, "INTERVAL_EXCEPTION", "Exception.")
    backoff_ratio: float = Field(
        _POLICY.backoff_ratio,
        ge=0,
        validation_alias="POLLER_BACKOFF_RATIO",
        description="While nothing changes the interval grows to this share of the quiet time.",
    )
    max_interval: Interval = _interval(_POLICY.max_interval, "MAX_INTERVAL", "Backoff cap.")
    watch_interval: Interval = _interval(
        _POLICY.watch_interval, "WATCH_INTERVAL", "Interval after delivery."
    )
    watch_window: Interval = _interval(
        _POLICY.watch_window, "WATCH_WINDOW", "How long a delivered parcel is watched."
    )
    max_age: Interval = _interval(_POLICY.max_age, "MAX_AGE", "Stop polling after this age.")
    not_found_limit: Interval = _interval(
        _POLICY.not_found_limit, "NOT_FOUND_LIMIT", "Give up on an unknown number after."
    )
    retry_interval: Interval = _interval(
        _POLICY.retry_interval, "RETRY_INTERVAL", "Retry after a failed call."
    )

    def policy(self) -> PollingPolicy:
        """The scheduling policy these settings describe."""
        return PollingPolicy(
            pending=self.interval_pending,
            label_created=self.interval_label_created,
            in_transit=self.interval_in_transit,
            out_for_delivery=self.interval_out_for_delivery,
            delivery_attempted=self.interval_delivery_attempted,
            available_for_pickup=self.interval_available_for_pickup,
            exception=self.interval_exception,
            backoff_ratio=self.backoff_ratio,
            max_interval=self.max_interval,
            watch_interval=self.watch_interval,
            watch_window=self.watch_window,
            max_age=self.max_age,
            not_found_limit=self.not_found_limit,
            retry_interval=self.retry_interval,
            time_scale=self.clock_scale,
        )
