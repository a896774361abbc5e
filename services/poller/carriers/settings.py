"""What every carrier reads from the environment under its own prefix (``UPS_``, ``FEDEX_``…):
its host, its quota, how many calls run at once; each carrier's subclass adds its
credentials and the defaults near its documented quota."""

from typing import Annotated, ClassVar

from pydantic import BaseModel, BeforeValidator, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.poller.ratelimit import Rate, parse_rates


def _rates(value: object) -> object:
    return parse_rates(value) if isinstance(value, str) else value


Rates = Annotated[tuple[Rate, ...], NoDecode, BeforeValidator(_rates)]
"""Comma-separated ``COUNT/[N]UNIT`` limits, e.g. ``1/s,250/d``."""


class CarrierSettings(BaseSettings):
    """A carrier's settings; a subclass sets ``env_prefix`` and declares ``base_url``,
    ``rate_limit`` and ``concurrency`` with its own defaults and words."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    production_url: ClassVar[str]
    sandbox_url: ClassVar[str | None] = None

    base_url: str | None
    rate_limit: Rates
    concurrency: int

    def host(self, sandbox: bool) -> str:
        """The configured base URL; else the sandbox's in sandbox mode, else production."""
        if self.base_url:
            return self.base_url
        return self.sandbox_url if sandbox and self.sandbox_url else self.production_url

    def client_settings(self, sandbox: bool) -> BaseModel | None:
        """What the client needs; None without credentials: the carrier is not polled."""
        raise NotImplementedError

    def push_credential(self) -> SecretStr | None:
        """The credential the carrier's pushes carry; None: no push endpoint."""
        return None
