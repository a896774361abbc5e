"""Circuit breaker per carrier: stop calling a carrier that keeps failing, probe it later.

closed --(``threshold`` consecutive failures)--> open --(``cooldown`` s)--> half-open:
one probe call; its success closes the circuit, its failure opens it again.
"""

import time
from collections.abc import Callable
from enum import StrEnum


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures of one carrier's calls (time is injected)."""

    def __init__(
        self,
        threshold: int,
        cooldown: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        if threshold < 1 or cooldown <= 0:
            raise ValueError("threshold must be at least 1 and cooldown positive")
        self._threshold = threshold
        self._cooldown = cooldown
        self._monotonic = monotonic
        self._on_change = on_change
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> State:
        if self._state is State.OPEN and self.retry_in() == 0:
            self._move(State.HALF_OPEN)
        return self._state

    def retry_in(self) -> float:
        """Seconds until an open circuit lets a probe through (0 otherwise)."""
        if self._state is not State.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self._cooldown - self._monotonic())

    def allow(self) -> bool:
        """Whether a call may start now; in half-open state only one probe at a time."""
        state = self.state
        if state is State.CLOSED:
            return True
        if state is State.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def abandon(self) -> None:
        """The allowed call was not made (nothing to do): let another probe through."""
        self._probing = False

    def success(self) -> None:
        self._failures = 0
        self._probing = False
        self._move(State.CLOSED)

    def failure(self) -> None:
        self._failures += 1
        self._probing = False
        if self._state is State.HALF_OPEN or self._failures >= self._threshold:
            self._opened_at = self._monotonic()
            self._move(State.OPEN)

    def _move(self, state: State) -> None:
        """Enter ``state``, telling ``on_change`` when it is a change."""
        if state is not self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)
