"""Settings of the ops page (`OPS_…`)."""

from pydantic import Field, HttpUrl, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class OpsSettings(BaseSettings):
    """Where the query APIs and the mail inbox are, and where the page is served."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", validate_by_name=True)

    poller_url: HttpUrl = Field(
        HttpUrl("http://127.0.0.1:8081"),
        validation_alias="OPS_POLLER_URL",
        description="Base URL of the poller query API.",
    )
    sla_url: HttpUrl = Field(
        HttpUrl("http://127.0.0.1:8082"),
        validation_alias="OPS_SLA_URL",
        description="Base URL of the sla query API.",
    )
    notifier_url: HttpUrl = Field(
        HttpUrl("http://127.0.0.1:8083"),
        validation_alias="OPS_NOTIFIER_URL",
        description="Base URL of the notifier query API.",
    )
    api_token: SecretStr | None = Field(
        None,
        validation_alias="OPS_API_TOKEN",
        description="Bearer token sent to the three query APIs (when they require one).",
    )
    inbox_url: HttpUrl = Field(
        HttpUrl("http://127.0.0.1:8025"),
        validation_alias="OPS_INBOX_URL",
        description="The mail inbox: messages are linked there, found by Message-ID.",
    )
    http_host: str = Field(
        "127.0.0.1", validation_alias="HTTP_HOST", description="Address the page binds to."
    )
    http_port: int = Field(
        8080, ge=1, le=65535, validation_alias="OPS_HTTP_PORT", description="Port of the page."
    )
    timeout: float = Field(
        5.0, gt=0, validation_alias="OPS_TIMEOUT", description="Seconds per query API request."
    )
