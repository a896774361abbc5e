"""The USPS plugin: what the poller uses of this folder."""

from services.poller.carriers.plugin import CarrierPlugin
from services.poller.carriers.usps.client import UspsClient
from services.poller.carriers.usps.formats import FORMATS
from services.poller.carriers.usps.mapper import CARRIER, parse
from services.poller.carriers.usps.settings import UspsClientSettings, UspsSettings

PLUGIN = CarrierPlugin(
    slug=CARRIER,
    parse=parse,
    formats=FORMATS,
    settings=UspsSettings,
    client_settings=UspsClientSettings,
    client=UspsClient,
)
