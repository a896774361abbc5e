"""FedEx tracking adapter: payloads, pure mapping and the HTTP client."""

from services.poller.carriers.base import CarrierPlugin
from services.poller.carriers.fedex.client import FedexClient, FedexSettings
from services.poller.carriers.fedex.mapper import CARRIER, parse

PLUGIN = CarrierPlugin(slug=CARRIER, parse=parse, settings=FedexSettings, client=FedexClient)
