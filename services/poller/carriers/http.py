"""HTTP plumbing shared by carrier clients: OAuth token cache, timeouts, a cap on response
size, outcome mapping."""

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar, Generic, NamedTuple, TypeVar

import httpx

from services.poller.carriers.base import (
    AuthFailed,
    CallFailure,
    CarrierDown,
    FailureReason,
    Malformed,
    NotFound,
    Parser,
    RateLimited,
    TrackOutcome,
)
from shared.infra.clock import Clock, SystemClock


class CallFailedError(Exception):
    """Carries a :data:`CallFailure` out of nested request code."""

    def __init__(self, failure: CallFailure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


class ResponseTooLargeError(Exception):
    """A response body longer than the cap of :class:`CappedTransport`."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"response body larger than {limit} bytes")
        self.limit = limit


class CappedTransport(httpx.AsyncBaseTransport):
    """Refuses response bodies longer than ``max_bytes`` while they stream in, so a huge
    body never sits in memory: a declared ``Content-Length`` over the cap is refused
    before any byte is read, an undeclared one as soon as the count passes it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, max_bytes: int) -> None:
        self._inner = inner
        self._max_bytes = max_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            await response.aclose()
            raise ResponseTooLargeError(self._max_bytes)
        if not isinstance(response.stream, httpx.AsyncByteStream):
            raise TypeError("an async transport must answer with an async stream")
        response.stream = _CappedStream(response.stream, self._max_bytes)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _CappedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, max_bytes: int) -> None:
        self._inner = inner
        self._max_bytes = max_bytes

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._max_bytes:
                raise ResponseTooLargeError(self._max_bytes)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class AccessToken(NamedTuple):
    value: str
    lifetime: float
    """Seconds the token is valid for, from the carrier's ``expires_in``."""


class TokenCache:
    """One cached OAuth token; concurrent misses and 401s collapse into one token request."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[AccessToken]],
        *,
        refresh_margin: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._margin = refresh_margin
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._value: str | None = None
        self._expires_at = 0.0

    async def get(self) -> str:
        """A valid token, fetching one if none is cached or it is about to expire."""
        if self._value is not None and self._monotonic() < self._expires_at:
            return self._value
        async with self._lock:
            if self._value is not None and self._monotonic() < self._expires_at:
                return self._value
            return await self._refresh()

    async def replace(self, rejected: str) -> str:
        """The carrier refused ``rejected``: fetch a new token unless another caller did."""
        async with self._lock:
            if self._value is not None and self._value != rejected:
                return self._value
            return await self._refresh()

    async def _refresh(self) -> str:
        token = await self._fetch()
        self._value = token.value
        margin = min(self._margin, token.lifetime / 2)
        self._expires_at = self._monotonic() + token.lifetime - margin
        return token.value


async def send(http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """Send a request; timeouts and connection errors become :class:`CarrierDown`, a body
    over the transport's cap :class:`Malformed`."""
    try:
        return await http.send(request)
    except httpx.TimeoutException as exc:
        failure = CarrierDown(f"timeout: {type(exc).__name__}", reason=FailureReason.TIMEOUT)
        raise CallFailedError(failure) from exc
    except httpx.TransportError as exc:
        failure = CarrierDown(
            f"connection failed: {type(exc).__name__}", reason=FailureReason.CONNECTION
        )
        raise CallFailedError(failure) from exc
    except ResponseTooLargeError as exc:
        raise CallFailedError(Malformed(str(exc), FailureReason.TOO_LARGE)) from exc


async def send_with_token(
    http: httpx.AsyncClient, tokens: TokenCache, build: Callable[[str], httpx.Request]
) -> httpx.Response:
    """Send with a bearer token; on 401 replace the token once and retry."""
    token = await tokens.get()
    response = await send(http, build(token))
    if response.status_code == httpx.codes.UNAUTHORIZED:
        response = await send(http, build(await tokens.replace(token)))
    return response


async def fetch_token(http: httpx.AsyncClient, request: httpx.Request, clock: Clock) -> AccessToken:
    """POST a client-credentials token request and read ``access_token`` / ``expires_in``
    (``clock`` reads a ``Retry-After`` date)."""
    response = await send(http, request)
    if response.status_code in (400, 401, 403):
        raise CallFailedError(AuthFailed(f"token request refused: HTTP {response.status_code}"))
    failure = failure_for(response, clock.now())
    if failure is not None:
        raise CallFailedError(failure)
    body = _json(response)
    if not isinstance(body, dict) or not body.get("access_token"):
        raise CallFailedError(Malformed("token response without access_token"))
    try:
        lifetime = float(str(body.get("expires_in", "")))
    except ValueError as exc:
        raise CallFailedError(Malformed("token response without a numeric expires_in")) from exc
    return AccessToken(str(body["access_token"]), lifetime)


SettingsT = TypeVar("SettingsT")


class OAuthClient(ABC, Generic[SettingsT]):
    """A carrier client with an OAuth bearer token: numbers go in batches of ``max_batch``
    (one request each, sent concurrently); a 401 refreshes the token once and retries."""

    max_batch: int = 1
    parse: ClassVar[Parser]

    def __init__(
        self,
        settings: SettingsT,
        http: httpx.AsyncClient,
        *,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock or SystemClock()
        self._tokens = TokenCache(self._fetch_token, monotonic=monotonic)

    async def track(self, numbers: Sequence[str]) -> dict[str, TrackOutcome]:
        """One outcome per number."""
        results: dict[str, TrackOutcome] = {}
        batches = chunks(numbers, self.max_batch)
        for batch in await asyncio.gather(*(self._track_batch(b) for b in batches)):
            results.update(batch)
        return results

    async def _track_batch(self, numbers: Sequence[str]) -> dict[str, TrackOutcome]:
        try:
            response = await send_with_token(
                self._http, self._tokens, lambda token: self._request(numbers, token)
            )
        except CallFailedError as exc:
            return dict.fromkeys(numbers, exc.failure)
        return outcomes(response, type(self).parse, numbers, self._clock.now())

    @abstractmethod
    def _request(self, numbers: Sequence[str], token: str) -> httpx.Request:
        """The tracking request for one batch."""

    @abstractmethod
    async def _fetch_token(self) -> AccessToken:
        """Ask the carrier for a new token."""


def retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date; None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def failure_for(response: httpx.Response, now: datetime) -> CallFailure | None:
    """Failures decided by the HTTP status alone: 401/403, 429, 5xx."""
    code = response.status_code
    wait = retry_after(response.headers.get("Retry-After"), now)
    if code in (401, 403):
        return AuthFailed(f"HTTP {code}")
    if code == 429:
        return RateLimited(f"HTTP {code}", wait)
    if code >= 500:
        return CarrierDown(f"HTTP {code}", wait)
    return None


def outcomes(
    response: httpx.Response, parse: Parser, numbers: Sequence[str], now: datetime
) -> dict[str, TrackOutcome]:
    """Map a tracking response to one outcome per requested number."""
    failure = failure_for(response, now)
    if failure is not None:
        return dict.fromkeys(numbers, failure)
    body = _json(response)
    if body is _NOT_JSON:
        if response.status_code == httpx.codes.NOT_FOUND:
            return {n: NotFound(n, "HTTP 404") for n in numbers}
        failure = Malformed(
            f"HTTP {response.status_code}: body is not JSON", FailureReason.NOT_JSON
        )
        return dict.fromkeys(numbers, failure)
    parsed = parse(body, numbers)
    if not isinstance(parsed, list):
        if response.status_code == httpx.codes.NOT_FOUND:
            return {n: NotFound(n, f"HTTP 404: {parsed.detail}") for n in numbers}
        return dict.fromkeys(numbers, parsed)
    by_number = {_key(o.tracking_number): o for o in parsed if o.tracking_number is not None}
    result: dict[str, TrackOutcome] = {}
    for number in numbers:
        found = by_number.get(_key(number))
        if found is None and len(numbers) == 1 and parsed:
            found = parsed[0]
        result[number] = found or Malformed("number missing from the response")
    return result


def chunks(numbers: Sequence[str], size: int) -> list[Sequence[str]]:
    """Split ``numbers`` into batches of at most ``size``."""
    return [numbers[i : i + size] for i in range(0, len(numbers), size)]


_NOT_JSON = object()


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return _NOT_JSON


def _key(number: str) -> str:
    return "".join(number.split()).upper()
