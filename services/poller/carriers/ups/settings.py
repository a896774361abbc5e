"""UPS settings, read under ``UPS_``: host, OAuth credentials, quota, Track Alert credential."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.poller.carriers.settings import CarrierSettings, Rates
from services.poller.ratelimit import parse_rates

PRODUCTION_URL = "https://onlinetools.ups.com"
SANDBOX_URL = "https://wwwcie.ups.com"


class UpsClientSettings(BaseModel):
    """Credentials and host (production or CIE sandbox, without ``/api``)."""

    model_config = ConfigDict(frozen=True)

    base_url: str = PRODUCTION_URL
    client_id: str
    client_secret: SecretStr
    merchant_id: str | None = None
    transaction_src: str = "parcelwatch"
    locale: str = "en_US"


class UpsSettings(CarrierSettings):
    """UPS is polled only when the client id and secret are set."""

    model_config = SettingsConfigDict(env_prefix="UPS_")

    production_url = PRODUCTION_URL
    sandbox_url = SANDBOX_URL

    base_url: str | None = Field(
        None, description="UPS host without `/api` (default: production, or CIE in sandbox mode)."
    )
    client_id: str | None = Field(
        None, description="UPS OAuth client id; UPS is polled only when id and secret are set."
    )
    client_secret: SecretStr | None = Field(None, description="UPS OAuth client secret.")
    merchant_id: str | None = Field(
        None, description="Optional 6-digit UPS account number sent as `x-merchant-id`."
    )
    rate_limit: Rates = Field(
        parse_rates("10/s"), description="UPS calls allowed per replica (UPS publishes no quota)."
    )
    concurrency: int = Field(8, ge=1, description="UPS calls in flight at once per replica.")
    webhook_credential: SecretStr | None = Field(
        None,
        description="The `x-api-key` value UPS Track Alert sends; unset disables the endpoint.",
    )

    def client_settings(self, sandbox: bool) -> UpsClientSettings | None:
        if not (self.client_id and self.client_secret):
            return None
        return UpsClientSettings(
            base_url=self.host(sandbox),
            client_id=self.client_id,
            client_secret=self.client_secret,
            merchant_id=self.merchant_id,
        )

    def push_credential(self) -> SecretStr | None:
        return self.webhook_credential
