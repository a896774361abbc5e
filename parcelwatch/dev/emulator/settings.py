"""Settings of the carrier emulator (``EMULATOR_…`` environment variables)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.infra.clock import ClockSettings


class EmulatorSettings(ClockSettings):
    """Where the emulator listens and how failures behave; time follows the shared
    ``CLOCK_SCALE`` / ``CLOCK_ORIGIN``, so the emulator and the services agree on "now"."""

    model_config = SettingsConfigDict(env_prefix="EMULATOR_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface the emulator listens on.")
    port: int = Field(8090, description="Port of the emulator (all four carrier APIs).")
    token_ttl: int = Field(600, gt=0, description="Real seconds an issued OAuth token lives.")
    retry_after: int = Field(1, ge=0, description="Retry-After seconds sent with 429 and 503.")
    slow_seconds: float = Field(5.0, ge=0, description="Delay of the slow scenario, real seconds.")
    drip_seconds: float = Field(
        60.0, ge=0, description="Real seconds a slow_drip body takes to trickle in."
    )
    huge_bytes: int = Field(
        20 * 1024 * 1024, ge=0, description="Size of a huge_body answer, in bytes."
    )
    fault_requests: int = Field(
        2,
        ge=0,
        description="Requests of each number that slow_drip, huge_body, invalid_json and "
        "unknown_error spoil before answering normally.",
    )
    outage_requests: int = Field(
        6, ge=0, description="Requests of each server_outage number answered 500 in a row."
    )
