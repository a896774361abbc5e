"""UPS Track API v1 client: OAuth client credentials, one GET per inquiry number."""

import base64
import uuid
from collections.abc import Sequence

import httpx

from services.poller.carriers import http as carrier_http
from services.poller.carriers.http import AccessToken, OAuthClient
from services.poller.carriers.ups.mapper import parse
from services.poller.carriers.ups.settings import UpsClientSettings


class UpsClient(OAuthClient[UpsClientSettings]):
    """Tracks UPS numbers; no batching, so numbers are fetched concurrently."""

    parse = staticmethod(parse)

    def _request(self, numbers: Sequence[str], token: str) -> httpx.Request:
        (number,) = numbers
        return self._http.build_request(
            "GET",
            f"{self._settings.base_url}/api/track/v1/details/{number}",
            params={"locale": self._settings.locale, "returnSignature": "false"},
            headers={
                "Authorization": f"Bearer {token}",
                "transId": uuid.uuid4().hex,
                "transactionSrc": self._settings.transaction_src,
                "Accept": "application/json",
            },
        )

    async def _fetch_token(self) -> AccessToken:
        secret = self._settings.client_secret.get_secret_value()
        basic = base64.b64encode(f"{self._settings.client_id}:{secret}".encode()).decode()
        headers = {"Accept": "application/json", "Authorization": f"Basic {basic}"}
        if self._settings.merchant_id:
            headers["x-merchant-id"] = self._settings.merchant_id
        request = self._http.build_request(
            "POST",
            f"{self._settings.base_url}/security/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=headers,
        )
        return await carrier_http.fetch_token(self._http, request, self._clock)
