"""OAuth bearer tokens the emulator issued, with real-time expiry."""

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum


class TokenState(Enum):
    """What a presented token is worth."""

    VALID = "valid"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class TokenStore:
    """Issues tokens per carrier; expired ones are remembered for one more lifetime."""

    def __init__(self, ttl: int, now: Callable[[], datetime]) -> None:
        self.ttl = ttl
        self._now = now
        self._expiry: dict[tuple[str, str], datetime] = {}

    def issue(self, carrier: str) -> str:
        """A new token for ``carrier``, valid for ``ttl`` real seconds."""
        now = self._now()
        forget_before = now - timedelta(seconds=self.ttl)
        self._expiry = {k: v for k, v in self._expiry.items() if v > forget_before}
        value = secrets.token_urlsafe(24)
        self._expiry[(carrier, value)] = now + timedelta(seconds=self.ttl)
        return value

    def state(self, carrier: str, value: str | None) -> TokenState:
        """Whether ``value`` is a live token of ``carrier``."""
        expiry = self._expiry.get((carrier, value or ""))
        if expiry is None:
            return TokenState.UNKNOWN
        return TokenState.VALID if self._now() < expiry else TokenState.EXPIRED

    def expire(self, carrier: str, value: str) -> None:
        """End a token's life now (the expired-token scenario)."""
        if (carrier, value) in self._expiry:
            self._expiry[(carrier, value)] = self._now()
