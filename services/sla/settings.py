"""Settings of the sla service: the shared ones plus its own `SLA_…` settings."""

from pydantic import Field

from shared.infra.service import ServiceSettings


class SlaSettings(ServiceSettings):
    """Everything the sla service reads from the environment (or `.env`)."""

    http_port: int = Field(
        8082,
        validation_alias="SLA_HTTP_PORT",
        description="Port of the sla health, metrics and query API server.",
    )
