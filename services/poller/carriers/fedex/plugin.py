"""The FedEx plugin: what the poller uses of this folder."""

from services.poller.carriers.fedex.client import FedexClient
from services.poller.carriers.fedex.formats import FORMATS
from services.poller.carriers.fedex.mapper import CARRIER, parse
from services.poller.carriers.fedex.settings import FedexClientSettings, FedexSettings
from services.poller.carriers.plugin import CarrierPlugin

PLUGIN = CarrierPlugin(
    slug=CARRIER,
    parse=parse,
    formats=FORMATS,
    settings=FedexSettings,
    client_settings=FedexClientSettings,
    client=FedexClient,
)
