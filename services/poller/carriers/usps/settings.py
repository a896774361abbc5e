"""USPS settings, read under ``USPS_``: host, OAuth credentials, quota."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.poller.carriers.settings import CarrierSettings, Rates
from services.poller.ratelimit import parse_rates

PRODUCTION_URL = "https://apis.usps.com"
SANDBOX_URL = "https://apis-tem.usps.com"


class UspsClientSettings(BaseModel):
    """Credentials and host (production or the TEM test environment)."""

    model_config = ConfigDict(frozen=True)

    base_url: str = PRODUCTION_URL
    client_id: str
    client_secret: SecretStr


class UspsSettings(CarrierSettings):
    """USPS is polled only when the client id and secret are set."""

    model_config = SettingsConfigDict(env_prefix="USPS_")

    production_url = PRODUCTION_URL
    sandbox_url = SANDBOX_URL

    base_url: str | None = Field(
        None, description="USPS host (default: production, or TEM in sandbox mode)."
    )
    client_id: str | None = Field(
        None, description="USPS OAuth client id; USPS is polled only when id and secret are set."
    )
    client_secret: SecretStr | None = Field(None, description="USPS OAuth client secret.")
    rate_limit: Rates = Field(
        parse_rates("60/h"),
        description="USPS calls allowed per replica (the reported default quota).",
    )
    concurrency: int = Field(1, ge=1, description="USPS calls in flight at once per replica.")

    def client_settings(self, sandbox: bool) -> UspsClientSettings | None:
        if not (self.client_id and self.client_secret):
            return None
        return UspsClientSettings(
            base_url=self.host(sandbox), client_id=self.client_id, client_secret=self.client_secret
        )
