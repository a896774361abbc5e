"""Settings of the sla service: the shared ones plus its own `SLA_…` settings."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.sla.marketplace import CalendarOverrides
from services.sla.rules import SlaRules
from shared.infra.service import ServiceSettings


class SlaSettings(ServiceSettings):
    """Everything the sla service reads from the environment (or `.env`).

    Rule settings are nested: ``SLA_RULES__SHIP_CUTOFF_HOUR=14`` sets one,
    ``SLA_RULES='{"ship_cutoff_hour": 14}'`` several at once.
    """

    model_config = SettingsConfigDict(env_nested_delimiter="__")

    http_port: int = Field(
        8082,
        validation_alias="SLA_HTTP_PORT",
        description="Port of the sla health, metrics and query API server.",
    )
    api_token: SecretStr | None = Field(
        None,
        validation_alias="SLA_API_TOKEN",
        description="Bearer token the query API requires when set (health and metrics stay open).",
    )
    rules: SlaRules = Field(
        default_factory=SlaRules,
        validation_alias="SLA_RULES",
        description="The SLA rules' numbers (cutoff hour, business days, graces, escalation).",
    )
    sweep_interval: float = Field(
        5.0,
        gt=0,
        validation_alias="SLA_SWEEP_INTERVAL",
        description="Seconds between two sweeps for due deadlines.",
    )
    sweep_batch_size: int = Field(
        500,
        ge=1,
        le=10_000,
        validation_alias="SLA_SWEEP_BATCH_SIZE",
        description="Orders claimed, assessed and committed per sweep transaction.",
    )
    watermark_interval: float = Field(
        1.0,
        gt=0,
        validation_alias="SLA_WATERMARK_INTERVAL",
        description="Seconds between two readings of how far the consumers have got "
        "(verdicts wait for the facts before them).",
    )
    census_interval: float = Field(
        30.0,
        gt=0,
        validation_alias="SLA_CENSUS_INTERVAL",
        description="Seconds between two counts of open orders by state (a table scan).",
    )
    scorecard_interval: float = Field(
        60.0,
        gt=0,
        validation_alias="SLA_SCORECARD_INTERVAL",
        description="Seconds between two refreshes of the marketplace scorecard gauges.",
    )
    analytics_interval: float = Field(
        60.0,
        gt=0,
        validation_alias="SLA_ANALYTICS_INTERVAL",
        description="Seconds between two refreshes of the carrier performance and trend gauges.",
    )
    marketplace_calendars: dict[str, CalendarOverrides] = Field(
        default_factory=dict,
        validation_alias="SLA_MARKETPLACE_CALENDARS",
        description="Per marketplace id, extra holidays and extra working days (JSON).",
    )
