"""DHL tracking adapter: payloads, pure mapping and the HTTP client."""

from services.poller.carriers.base import CarrierPlugin
from services.poller.carriers.dhl.client import DhlClient, DhlSettings
from services.poller.carriers.dhl.mapper import CARRIER, parse

PLUGIN = CarrierPlugin(slug=CARRIER, parse=parse, settings=DhlSettings, client=DhlClient)
