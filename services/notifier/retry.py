"""When to try a failed message again, and when to give up. Pure: time and chance come in."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.infra.backoff import backoff


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, bounded by attempts and by age."""

    initial: float = 5.0
    maximum: float = 900.0
    max_attempts: int = 12
    max_age: float = 86400.0

    def next_attempt(
        self, *, attempts: int, created_at: datetime, now: datetime, chance: float
    ) -> datetime | None:
        """When to try again after ``attempts`` failed tries; ``None``: give up.

        ``chance`` is a number in [0, 1) that spreads retries between half the
        backoff and the whole of it, so that many messages failing together do not
        come back together.
        """
        if attempts >= self.max_attempts:
            return None
        wait = backoff(max(attempts, 1), self.initial, self.maximum, chance=chance)
        at = now + timedelta(seconds=wait)
        if at - created_at > timedelta(seconds=self.max_age):
            return None
        return at
