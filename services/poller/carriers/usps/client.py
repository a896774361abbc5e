"""USPS Tracking API v3 client: OAuth client credentials, one GET per number."""

import asyncio
import time
from collections.abc import Callable, Sequence

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from services.poller.carriers import http as carrier_http
from services.poller.carriers.base import TrackOutcome
from services.poller.carriers.http import AccessToken, CallFailedError, Clock, TokenCache
from services.poller.carriers.usps.mapper import parse

PRODUCTION_URL = "https://apis.usps.com"
SANDBOX_URL = "https://apis-tem.usps.com"


class UspsSettings(BaseModel):
    """Credentials and host (production or the TEM test environment)."""

    model_config = ConfigDict(frozen=True)

    base_url: str = PRODUCTION_URL
    client_id: str
    client_secret: SecretStr


class UspsClient:
    """Tracks USPS numbers with ``expand=DETAIL``; the quota is tight, so call sparingly."""

    max_batch = 1

    def __init__(
        self,
        settings: UspsSettings,
        http: httpx.AsyncClient,
        *,
        clock: Clock = carrier_http.utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock
        self._tokens = TokenCache(self._fetch_token, monotonic=monotonic)

    async def track(self, numbers: Sequence[str]) -> dict[str, TrackOutcome]:
        """One outcome per number."""
        results = await asyncio.gather(*(self._track_one(n) for n in numbers))
        return {n: outcome for n, outcome in zip(numbers, results, strict=True)}

    async def _track_one(self, number: str) -> TrackOutcome:
        try:
            response = await carrier_http.send_with_token(
                self._http, self._tokens, lambda token: self._request(number, token)
            )
        except CallFailedError as exc:
            return exc.failure
        return carrier_http.outcomes(response, parse, [number], self._clock())[number]

    def _request(self, number: str, token: str) -> httpx.Request:
        return self._http.build_request(
            "GET",
            f"{self._settings.base_url}/tracking/v3/tracking/{number}",
            params={"expand": "DETAIL"},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    async def _fetch_token(self) -> AccessToken:
        request = self._http.build_request(
            "POST",
            f"{self._settings.base_url}/oauth2/v3/token",
            json={
                "grant_type": "client_credentials",
                "client_id": self._settings.client_id,
                "client_secret": self._settings.client_secret.get_secret_value(),
            },
        )
        return await carrier_http.fetch_token(self._http, request, self._clock)
