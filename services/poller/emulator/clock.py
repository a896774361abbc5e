"""Accelerated time: emulated time runs ``scale`` times faster than the real clock."""

from datetime import datetime

from shared.infra.clock import Clock, SystemClock


class ScaledClock:
    """Emulated now = ``epoch`` + (real now - real start) x ``scale``.

    ``epoch`` defaults to the real start, so emulated time begins at the real time and
    runs ahead of it; ``scale=1`` is real time. ``real`` is injectable for tests.
    """

    def __init__(
        self, scale: float = 3600.0, *, epoch: datetime | None = None, real: Clock | None = None
    ) -> None:
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = scale
        self.real: Clock = real or SystemClock()
        self._origin = self.real.now()
        self._epoch = epoch or self._origin

    def now(self) -> datetime:
        """The current emulated instant (aware UTC)."""
        return self._epoch + (self.real.now() - self._origin) * self.scale
