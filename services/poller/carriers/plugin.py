"""What a carrier folder registers: one plugin object with everything the poller uses."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx
from pydantic import BaseModel

from services.poller.carriers.base import CarrierClient, ParsedShipment, Parser
from services.poller.carriers.settings import CarrierSettings
from services.poller.tracking_numbers import Format

ClientSettingsT = TypeVar("ClientSettingsT", bound=BaseModel)


@dataclass(frozen=True)
class Webhook:
    """A carrier's push endpoint: where it posts, the header carrying the shared credential,
    and the pure parser of one body (None: not a push of that carrier)."""

    path: str
    summary: str
    credential_header: str
    parse: Callable[[bytes], ParsedShipment | None]
    invalid: str
    """The 400 reply to a body ``parse`` refuses."""


@dataclass(frozen=True)
class CarrierPlugin(Generic[ClientSettingsT]):
    """A carrier: its slug, pure parser, tracking-number formats, settings (read under its
    own prefix), HTTP client and, when it pushes, its webhook."""

    slug: str
    parse: Parser
    formats: tuple[Format, ...]
    settings: type[CarrierSettings]
    client_settings: type[ClientSettingsT]
    client: Callable[[ClientSettingsT, httpx.AsyncClient], CarrierClient]
    webhook: Webhook | None = None

    def build_client(
        self, settings: BaseModel | Mapping[str, object], http: httpx.AsyncClient
    ) -> CarrierClient:
        """Build the client from its settings model or a plain mapping of its fields."""
        if not isinstance(settings, self.client_settings):
            settings = self.client_settings.model_validate(settings)
        return self.client(settings, http)
