"""DHL Shipment Tracking - Unified client: static ``DHL-API-Key``, one GET per number."""

import asyncio
from collections.abc import Sequence

import httpx

from services.poller.carriers import http as carrier_http
from services.poller.carriers.base import TrackOutcome
from services.poller.carriers.dhl.mapper import parse
from services.poller.carriers.dhl.settings import DhlClientSettings
from services.poller.carriers.http import CallFailedError, Clock


class DhlClient:
    """Tracks DHL numbers, one GET each (the initial quota is 1 call/s, 250/day)."""

    max_batch = 1

    def __init__(
        self,
        settings: DhlClientSettings,
        http: httpx.AsyncClient,
        *,
        clock: Clock = carrier_http.utc_now,
    ) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock

    async def track(self, numbers: Sequence[str]) -> dict[str, TrackOutcome]:
        """One outcome per number."""
        results = await asyncio.gather(*(self._track_one(n) for n in numbers))
        return {n: outcome for n, outcome in zip(numbers, results, strict=True)}

    async def _track_one(self, number: str) -> TrackOutcome:
        params = {"trackingNumber": number}
        if self._settings.service:
            params["service"] = self._settings.service
        request = self._http.build_request(
            "GET",
            f"{self._settings.base_url}/track/shipments",
            params=params,
            headers={
                "DHL-API-Key": self._settings.api_key.get_secret_value(),
                "Accept": "application/json",
            },
        )
        try:
            response = await carrier_http.send(self._http, request)
        except CallFailedError as exc:
            return exc.failure
        return carrier_http.outcomes(response, parse, [number], self._clock())[number]
