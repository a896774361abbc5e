"""FedEx Track API v1 client: OAuth client credentials, up to 30 numbers per POST."""

from collections.abc import Sequence

import httpx

from services.poller.carriers import http as carrier_http
from services.poller.carriers.fedex.mapper import parse
from services.poller.carriers.fedex.settings import FedexClientSettings
from services.poller.carriers.http import AccessToken, OAuthClient

MAX_BATCH = 30


class FedexClient(OAuthClient[FedexClientSettings]):
    """Tracks FedEx numbers in batches of up to 30; batches are sent concurrently."""

    max_batch = MAX_BATCH
    parse = staticmethod(parse)

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
