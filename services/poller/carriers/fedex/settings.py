"""FedEx settings, read under ``FEDEX_``: host, Track API key pair, quota."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.poller.carriers.settings import CarrierSettings, Rates
from services.poller.ratelimit import parse_rates

PRODUCTION_URL = "https://apis.fedex.com"
SANDBOX_URL = "https://apis-sandbox.fedex.com"


class FedexClientSettings(BaseModel):
    """Track API key pair and host (production or the virtualized sandbox)."""

    model_config = ConfigDict(frozen=True)

    base_url: str = PRODUCTION_URL
    api_key: str
    secret_key: SecretStr
    locale: str = "en_US"


class FedexSettings(CarrierSettings):
    """FedEx is polled only when the key and the secret are set."""

    model_config = SettingsConfigDict(env_prefix="FEDEX_")

    production_url = PRODUCTION_URL
    sandbox_url = SANDBOX_URL

    base_url: str | None = Field(
        None, description="FedEx host (default: production, or the sandbox in sandbox mode)."
    )
    api_key: str | None = Field(
        None, description="FedEx Track API key; FedEx is polled only when key and secret are set."
    )
    secret_key: SecretStr | None = Field(None, description="FedEx Track API secret key.")
    rate_limit: Rates = Field(
        parse_rates("1400/10s,100000/d"),
        description="FedEx calls (of up to 30 numbers) allowed per replica.",
    )
    concurrency: int = Field(4, ge=1, description="FedEx calls in flight at once per replica.")

    def client_settings(self, sandbox: bool) -> FedexClientSettings | None:
        if not (self.api_key and self.secret_key):
            return None
        return FedexClientSettings(
            base_url=self.host(sandbox), api_key=self.api_key, secret_key=self.secret_key
        )
