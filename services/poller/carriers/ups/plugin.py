"""The UPS plugin: what the poller uses of this folder, Track Alert pushes included."""

from services.poller.carriers.plugin import CarrierPlugin, Webhook
from services.poller.carriers.ups import webhook
from services.poller.carriers.ups.client import UpsClient
from services.poller.carriers.ups.formats import FORMATS
from services.poller.carriers.ups.mapper import CARRIER, parse
from services.poller.carriers.ups.settings import UpsClientSettings, UpsSettings

PLUGIN = CarrierPlugin(
    slug=CARRIER,
    parse=parse,
    formats=FORMATS,
    settings=UpsSettings,
    client_settings=UpsClientSettings,
    client=UpsClient,
    webhook=Webhook(
        path=webhook.PATH,
        summary="UPS Track Alert webhook",
        credential_header="x-api-key",
        parse=webhook.parse,
        invalid="not a Track Alert payload with a number and a status",
    ),
)
