"""UPS tracking adapter: payloads, pure mapping and the HTTP client."""

from services.poller.carriers.base import CarrierPlugin
from services.poller.carriers.ups.client import UpsClient, UpsSettings
from services.poller.carriers.ups.mapper import CARRIER, parse

PLUGIN = CarrierPlugin(slug=CARRIER, parse=parse, settings=UpsSettings, client=UpsClient)
