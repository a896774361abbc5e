"""FedEx Track API v1 client: OAuth client credentials, up to 30 numbers per POST."""

import asyncio
import time
from collections.abc import Callable, Sequence

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from services.poller.carriers import http as carrier_http
from services.poller.carriers.base import TrackOutcome
from services.poller.carriers.fedex.mapper import parse
from services.poller.carriers.http import AccessToken, CallFailedError, Clock, TokenCache

PRODUCTION_URL = "https://apis.fedex.com"
SANDBOX_URL = "https://apis-sandbox.fedex.com"
MAX_BATCH = 30


class FedexSettings(BaseModel):
    """Track API key pair and host (production or the virtualized sandbox)."""

    model_config = ConfigDict(frozen=True)

    base_url: str = PRODUCTION_URL
    api_key: str
    secret_key: SecretStr
    locale: str = "en_US"


class FedexClient:
    """Tracks FedEx numbers in batches of up to 30; batches are sent concurrently."""

    max_batch = MAX_BATCH

    def __init__(
        self,
        settings: FedexSettings,
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
        """One outcome per number, one POST per batch of 30."""
        batches = carrier_http.chunks(numbers, MAX_BATCH)
        results: dict[str, TrackOutcome] = {}
        for batch in await asyncio.gather(*(self._track_batch(b) for b in batches)):
            results.update(batch)
        return results

    async def _track_batch(self, numbers: Sequence[str]) -> dict[str, TrackOutcome]:
        try:
            response = await carrier_http.send_with_token(
                self._http, self._tokens, lambda token: self._request(numbers, token)
            )
        except CallFailedError as exc:
            return dict.fromkeys(numbers, exc.failure)
        return carrier_http.outcomes(response, parse, numbers, self._clock())

    def _request(self, numbers: Sequence[str], token: str) -> httpx.Request:
        return self._http.build_request(
            "POST",
            f"{self._settings.base_url}/track/v1/trackingnumbers",
            json={
                "includeDetailedScans": True,
                "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": n}} for n in numbers],
            },
            headers={"Authorization": f"Bearer {token}", "x-locale": self._settings.locale},
        )

    async def _fetch_token(self) -> AccessToken:
        request = self._http.build_request(
            "POST",
            f"{self._settings.base_url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self._settings.api_key,
                "client_secret": self._settings.secret_key.get_secret_value(),
            },
        )
        return await carrier_http.fetch_token(self._http, request, self._clock)
