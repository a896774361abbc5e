"""Settings of the carrier emulator (``EMULATOR_…`` environment variables)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EmulatorSettings(BaseSettings):
    """Where the emulator listens, how fast emulated time runs, how failures behave."""

    model_config = SettingsConfigDict(env_prefix="EMULATOR_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface the emulator listens on.")
    port: int = Field(8090, description="Port of the emulator (all four carrier APIs).")
    time_scale: float = Field(
        3600.0, gt=0, description="Emulated seconds per real second (3600: an hour a second)."
    )
    token_ttl: int = Field(600, gt=0, description="Real seconds an issued OAuth token lives.")
    retry_after: int = Field(1, ge=0, description="Retry-After seconds sent with 429 and 503.")
    slow_seconds: float = Field(5.0, ge=0, description="Delay of the slow scenario, real seconds.")
