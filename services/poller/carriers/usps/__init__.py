"""USPS tracking adapter: payloads, pure mapping and the HTTP client."""

from services.poller.carriers.base import CarrierPlugin
from services.poller.carriers.usps.client import UspsClient, UspsSettings
from services.poller.carriers.usps.mapper import CARRIER, parse

PLUGIN = CarrierPlugin(slug=CARRIER, parse=parse, settings=UspsSettings, client=UspsClient)
