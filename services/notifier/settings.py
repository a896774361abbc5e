"""Settings of the notifier service: the shared ones plus its own `NOTIFIER_…` settings."""

from pydantic import Field

from shared.infra.service import ServiceSettings


class NotifierSettings(ServiceSettings):
    """Everything the notifier service reads from the environment (or `.env`)."""

    http_port: int = Field(
        8083,
        validation_alias="NOTIFIER_HTTP_PORT",
        description="Port of the notifier health, metrics and query API server.",
    )
