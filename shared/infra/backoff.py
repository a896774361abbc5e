"""Capped exponential backoff with jitter: the one waiting rule of every retry loop.

Retry libraries (tenacity, stamina) own the loop; ours decide per failure (a carrier's
``Retry-After``, the breaker, poison or transient records, retries scheduled in the
database), so they share this rule rather than a loop.
"""

import math
import random


def backoff(
    attempt: int, initial: float, maximum: float = math.inf, *, chance: float | None = None
) -> float:
    """Seconds to wait before retry ``attempt`` (1 for the first).

    The ceiling ``min(maximum, initial x 2^(attempt - 1))`` times a share between a half and
    the whole of it, so that callers failing together do not come back together. ``chance``
    in [0, 1) picks the share (a pure caller); else it is drawn at random.
    """
    ceiling = min(maximum, initial * 2.0 ** (attempt - 1))
    share = random.random() if chance is None else chance
    return ceiling * (0.5 + share / 2)
