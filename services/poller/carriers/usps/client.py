"""USPS Tracking API v3 client: OAuth client credentials, one GET per number."""

from collections.abc import Sequence

import httpx

from services.poller.carriers import http as carrier_http
from services.poller.carriers.http import AccessToken, OAuthClient
from services.poller.carriers.usps.mapper import parse
from services.poller.carriers.usps.settings import UspsClientSettings


class UspsClient(OAuthClient[UspsClientSettings]):
    """Tracks USPS numbers with ``expand=DETAIL``; the quota is tight, so call sparingly."""

    parse = staticmethod(parse)

    def _request(self, numbers: Sequence[str], token: str) -> httpx.Request:
        (number,) = numbers
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
