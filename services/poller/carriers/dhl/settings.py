"""DHL settings, read under ``DHL_``: host, API key, service filter, quota."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.poller.carriers.settings import CarrierSettings, Rates
from services.poller.ratelimit import parse_rates

PRODUCTION_URL = "https://api-eu.dhl.com"
"""DHL offers no external test environment; point ``DHL_BASE_URL`` at an emulator for tests."""


class DhlClientSettings(BaseModel):
    """The consumer key (not the secret) and the host."""

    model_config = ConfigDict(frozen=True)

    base_url: str = PRODUCTION_URL
    api_key: SecretStr
    service: str | None = None
    """Optional ``service`` filter (express, parcel-de, ecommerce…): avoids ID clashes."""


class DhlSettings(CarrierSettings):
    """DHL is polled only when the API key is set."""

    model_config = SettingsConfigDict(env_prefix="DHL_")

    production_url = PRODUCTION_URL

    base_url: str | None = Field(
        None, description="DHL host (default: production; DHL has no sandbox)."
    )
    api_key: SecretStr | None = Field(
        None, description="DHL consumer key (`DHL-API-Key`); DHL is polled only when it is set."
    )
    service: str | None = Field(
        None, description="Optional DHL `service` filter (express, parcel-de, ecommerce, ...)."
    )
    rate_limit: Rates = Field(
        parse_rates("1/s,250/d"), description="DHL calls allowed per replica (the initial quota)."
    )
    concurrency: int = Field(1, ge=1, description="DHL calls in flight at once per replica.")

    def client_settings(self, sandbox: bool) -> DhlClientSettings | None:
        if not self.api_key:
            return None
        return DhlClientSettings(
            base_url=self.host(sandbox), api_key=self.api_key, service=self.service
        )
