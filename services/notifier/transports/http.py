"""What the HTTP transports share: classify a reply or a network error."""

import email.utils
import time

import httpx

from services.notifier.transports.base import PermanentSendError, TransientSendError


def check(response: httpx.Response, service: str) -> None:
    """Return for 2xx; raise transient for 429, 408 and 5xx, permanent for other codes."""
    status = response.status_code
    if response.is_success:
        return
    detail = f"{status} {response.text[:200]}"
    if status in (408, 429) or status >= 500:
        raise TransientSendError(
            f"{service}_{status}" if status in (408, 429) else f"{service}_5xx",
            detail,
            retry_after=retry_after(response.headers.get("retry-after")),
        )
    raise PermanentSendError(f"{service}_4xx" if status >= 400 else f"{service}_{status}", detail)


def network_error(exc: httpx.HTTPError, service: str) -> TransientSendError:
    """A request that got no reply: timeouts and connection errors are worth a retry."""
    return TransientSendError(f"{service}_network", type(exc).__name__)


def retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
