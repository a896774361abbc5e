"""Settings of the poller service: the shared ones plus its own `POLLER_…` settings."""

from pydantic import Field

from shared.infra.service import ServiceSettings


class PollerSettings(ServiceSettings):
    """Everything the poller service reads from the environment (or `.env`)."""

    http_port: int = Field(
        8081,
        validation_alias="POLLER_HTTP_PORT",
        description="Port of the poller health, metrics and query API server.",
    )
