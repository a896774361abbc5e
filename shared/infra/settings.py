"""Settings pieces every service composes into its one settings object.

Shared settings are unprefixed (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``); each
service adds its own prefixed ones (``POLLER_…``).
"""

from pydantic import Field, PostgresDsn, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_ENV = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class KafkaSettings(BaseSettings):
    """How to reach the Kafka-protocol broker."""

    model_config = _ENV

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated host:port list of the Kafka brokers."
    )
    kafka_enable_idempotence: bool = Field(
        True,
        description="Idempotent producer. On against Apache Kafka; the embedded broker "
        "rejects the handshake, so the embedded stack turns it off.",
    )
    kafka_topic_partitions: int = Field(
        6, ge=1, description="Partitions per topic when ParcelWatch creates its topics."
    )
    kafka_replication_factor: int = Field(1, ge=1, description="Replication factor of new topics.")
    kafka_client_id: str = Field("parcelwatch", description="Client id prefix sent to the broker.")
    kafka_topic_prefix: str = Field(
        "",
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Prepended to every topic name (e.g. `staging.`): several deployments, "
        "or test runs, can share one cluster.",
    )
    kafka_metadata_max_age: float = Field(
        10.0,
        gt=0,
        description="Seconds after which clients refresh topic metadata unasked: how soon "
        "consumers notice a topic recreated with other partitions (Kafka's default: 300).",
    )

    def topic(self, name: str) -> str:
        """The physical name of contract topic ``name``."""
        return f"{self.kafka_topic_prefix}{name}"


class DatabaseSettings(BaseSettings):
    """How to reach PostgreSQL."""

    model_config = _ENV

    database_url: SecretStr = Field(
        SecretStr("postgresql://postgres@127.0.0.1:5432/parcelwatch"),
        description="PostgreSQL URL (asyncpg format). Secret: never logged.",
    )
    database_pool_min: int = Field(1, ge=0, description="Minimum pooled connections.")
    database_pool_max: int = Field(10, ge=1, description="Maximum pooled connections.")
    database_command_timeout: float = Field(
        10.0, gt=0, description="Seconds before a database statement is abandoned."
    )
    database_connect_timeout: float = Field(
        5.0, gt=0, description="Seconds before opening a database connection is abandoned."
    )

    @field_validator("database_url")
    @classmethod
    def _is_postgres_url(cls, value: SecretStr) -> SecretStr:
        PostgresDsn(value.get_secret_value())
        return value


class ObservabilitySettings(BaseSettings):
    """Logging."""

    model_config = _ENV

    log_level: str = Field("INFO", description="Root log level (DEBUG, INFO, WARNING, ERROR).")
    log_format: str = Field("json", description="`json` (one object a line) or `text`.")


class DeadLetterSettings(BaseSettings):
    """How dead-letter values are protected at rest."""

    model_config = _ENV

    dlq_encryption_keys: SecretStr | None = Field(
        None,
        description="Comma-separated Fernet keys (`parcelwatch dlq new-key`). The first seals "
        "the value of every dead letter (it holds customers' personal data); all of them "
        "open one, so a key can be rotated. Unset: values go in clear, with a warning.",
    )
