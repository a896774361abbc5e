"""Settings of the poller service: the shared ones, its own `POLLER_…` settings, and the
carriers' hosts and credentials under the carriers' names (`UPS_…`, `FEDEX_…`, …)."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import NoDecode

from services.poller.carriers.dhl import client as dhl
from services.poller.carriers.fedex import client as fedex
from services.poller.carriers.ups import client as ups
from services.poller.carriers.usps import client as usps
from services.poller.ratelimit import Rate, parse_rates
from services.poller.scheduler import PollingPolicy
from shared.infra.service import ServiceSettings


def _rates(value: object) -> object:
    return parse_rates(value) if isinstance(value, str) else value


Rates = Annotated[tuple[Rate, ...], NoDecode, BeforeValidator(_rates)]
"""Comma-separated ``COUNT/[N]UNIT`` limits, e.g. ``1/s,250/d``."""


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


@dataclass(frozen=True)
class CarrierConfig:
    """One carrier's client settings (the plugin's fields), quota and concurrency."""

    client: dict[str, object]
    rates: tuple[Rate, ...]
    concurrency: int


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
        "numbers that fail only their check digit (some UPS test numbers do).",
    )

    # --- carriers: hosts and credentials ------------------------------------------------
    ups_base_url: str | None = Field(
        None,
        validation_alias="UPS_BASE_URL",
        description="UPS host without `/api` (default: production, or CIE in sandbox mode).",
    )
    ups_client_id: str | None = Field(
        None,
        validation_alias="UPS_CLIENT_ID",
        description="UPS OAuth client id; UPS is polled only when id and secret are set.",
    )
    ups_client_secret: SecretStr | None = Field(
        None, validation_alias="UPS_CLIENT_SECRET", description="UPS OAuth client secret."
    )
    ups_merchant_id: str | None = Field(
        None,
        validation_alias="UPS_MERCHANT_ID",
        description="Optional 6-digit UPS account number sent as `x-merchant-id`.",
    )
    fedex_base_url: str | None = Field(
        None,
        validation_alias="FEDEX_BASE_URL",
        description="FedEx host (default: production, or the sandbox in sandbox mode).",
    )
    fedex_api_key: str | None = Field(
        None,
        validation_alias="FEDEX_API_KEY",
        description="FedEx Track API key; FedEx is polled only when key and secret are set.",
    )
    fedex_secret_key: SecretStr | None = Field(
        None, validation_alias="FEDEX_SECRET_KEY", description="FedEx Track API secret key."
    )
    usps_base_url: str | None = Field(
        None,
        validation_alias="USPS_BASE_URL",
        description="USPS host (default: production, or TEM in sandbox mode).",
    )
    usps_client_id: str | None = Field(
        None,
        validation_alias="USPS_CLIENT_ID",
        description="USPS OAuth client id; USPS is polled only when id and secret are set.",
    )
    usps_client_secret: SecretStr | None = Field(
        None, validation_alias="USPS_CLIENT_SECRET", description="USPS OAuth client secret."
    )
    dhl_base_url: str | None = Field(
        None,
        validation_alias="DHL_BASE_URL",
        description="DHL host (default: production; DHL has no sandbox).",
    )
    dhl_api_key: SecretStr | None = Field(
        None,
        validation_alias="DHL_API_KEY",
        description="DHL consumer key (`DHL-API-Key`); DHL is polled only when it is set.",
    )
    dhl_service: str | None = Field(
        None,
        validation_alias="DHL_SERVICE",
        description="Optional DHL `service` filter (express, parcel-de, ecommerce, ...).",
    )

    # --- carriers: quotas -----------------------------------------------------------------
    ups_rate_limit: Rates = Field(
        parse_rates("10/s"),
        validation_alias="POLLER_UPS_RATE_LIMIT",
        description="UPS calls allowed per replica (UPS publishes no quota).",
    )
    fedex_rate_limit: Rates = Field(
        parse_rates("1400/10s,100000/d"),
        validation_alias="POLLER_FEDEX_RATE_LIMIT",
        description="FedEx calls (of up to 30 numbers) allowed per replica.",
    )
    usps_rate_limit: Rates = Field(
        parse_rates("60/h"),
        validation_alias="POLLER_USPS_RATE_LIMIT",
        description="USPS calls allowed per replica (the reported default quota).",
    )
    dhl_rate_limit: Rates = Field(
        parse_rates("1/s,250/d"),
        validation_alias="POLLER_DHL_RATE_LIMIT",
        description="DHL calls allowed per replica (the initial quota).",
    )
    ups_concurrency: int = Field(
        8,
        ge=1,
        validation_alias="POLLER_UPS_CONCURRENCY",
        description="UPS calls in flight at once per replica.",
    )
    fedex_concurrency: int = Field(
        4,
        ge=1,
        validation_alias="POLLER_FEDEX_CONCURRENCY",
        description="FedEx calls in flight at once per replica.",
    )
    usps_concurrency: int = Field(
        1,
        ge=1,
        validation_alias="POLLER_USPS_CONCURRENCY",
        description="USPS calls in flight at once per replica.",
    )
    dhl_concurrency: int = Field(
        1,
        ge=1,
        validation_alias="POLLER_DHL_CONCURRENCY",
        description="DHL calls in flight at once per replica.",
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
        description="Seconds a worker waits when nothing is due.",
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

    # --- carrier push -----------------------------------------------------------------------
    ups_webhook_credential: SecretStr | None = Field(
        None,
        validation_alias="POLLER_UPS_WEBHOOK_CREDENTIAL",
        description="The `x-api-key` value UPS Track Alert sends; unset disables the endpoint.",
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

    def carriers(self) -> dict[str, CarrierConfig]:
        """Configured carriers by slug; a carrier without credentials is left out."""
        found: dict[str, CarrierConfig] = {}
        if self.ups_client_id and self.ups_client_secret:
            found["ups"] = CarrierConfig(
                {
                    "base_url": self._url(self.ups_base_url, ups.PRODUCTION_URL, ups.SANDBOX_URL),
                    "client_id": self.ups_client_id,
                    "client_secret": self.ups_client_secret,
                    "merchant_id": self.ups_merchant_id,
                },
                self.ups_rate_limit,
                self.ups_concurrency,
            )
        if self.fedex_api_key and self.fedex_secret_key:
            found["fedex"] = CarrierConfig(
                {
                    "base_url": self._url(
                        self.fedex_base_url, fedex.PRODUCTION_URL, fedex.SANDBOX_URL
                    ),
                    "api_key": self.fedex_api_key,
                    "secret_key": self.fedex_secret_key,
                },
                self.fedex_rate_limit,
                self.fedex_concurrency,
            )
        if self.usps_client_id and self.usps_client_secret:
            found["usps"] = CarrierConfig(
                {
                    "base_url": self._url(
                        self.usps_base_url, usps.PRODUCTION_URL, usps.SANDBOX_URL
                    ),
                    "client_id": self.usps_client_id,
                    "client_secret": self.usps_client_secret,
                },
                self.usps_rate_limit,
                self.usps_concurrency,
            )
        if self.dhl_api_key:
            found["dhl"] = CarrierConfig(
                {
                    "base_url": self.dhl_base_url or dhl.PRODUCTION_URL,
                    "api_key": self.dhl_api_key,
                    "service": self.dhl_service,
                },
                self.dhl_rate_limit,
                self.dhl_concurrency,
            )
        return found

    def _url(self, given: str | None, production: str, sandbox: str) -> str:
        return given or (sandbox if self.sandbox else production)
