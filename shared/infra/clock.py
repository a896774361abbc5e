"""Time as a dependency: rules take a clock, never call ``datetime.now()`` themselves.

For demonstrations every process of the embedded stack shares one accelerated clock:
``now = origin + (real now - origin) x scale``, with the same ``CLOCK_ORIGIN`` and
``CLOCK_SCALE`` everywhere, so emulated days pass in minutes and all processes agree.
"""

from datetime import UTC, datetime
from typing import Protocol

from pydantic import AwareDatetime, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ScaledClock:
    """Time running ``scale`` times faster than ``real`` since the instant ``origin``."""

    def __init__(
        self, scale: float, *, origin: datetime | None = None, real: Clock | None = None
    ) -> None:
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = scale
        self.real: Clock = real or SystemClock()
        self.origin = origin or self.real.now()

    def now(self) -> datetime:
        return self.origin + (self.real.now() - self.origin) * self.scale


class ClockSettings(BaseSettings):
    """``CLOCK_SCALE`` / ``CLOCK_ORIGIN``: accelerated time for demonstrations."""

    # Explicit aliases: the same variables for every process, whatever its env_prefix.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    clock_scale: float = Field(
        1.0,
        gt=0,
        validation_alias="CLOCK_SCALE",
        description="Seconds of ParcelWatch time per real second (1: real time).",
    )
    clock_origin: AwareDatetime | None = Field(
        None,
        validation_alias="CLOCK_ORIGIN",
        description="Real instant from which accelerated time runs (shared by processes).",
    )

    def clock(self) -> Clock:
        if self.clock_scale == 1.0:
            return SystemClock()
        return ScaledClock(self.clock_scale, origin=self.clock_origin)
