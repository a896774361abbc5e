"""The DHL plugin: what the poller uses of this folder."""

from services.poller.carriers.dhl.client import DhlClient
from services.poller.carriers.dhl.formats import FORMATS
from services.poller.carriers.dhl.mapper import CARRIER, parse
from services.poller.carriers.dhl.settings import DhlClientSettings, DhlSettings
from services.poller.carriers.plugin import CarrierPlugin

PLUGIN = CarrierPlugin(
    slug=CARRIER,
    parse=parse,
    formats=FORMATS,
    settings=DhlSettings,
    client_settings=DhlClientSettings,
    client=DhlClient,
)
