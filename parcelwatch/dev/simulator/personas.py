"""Sellers, customers and items the simulator draws from: several countries and zones."""

from shared.contracts.common import Customer, Item, Seller

SELLERS = (
    Seller(
        id="s-brooklyn",
        name="Brooklyn Refurb Co.",
        email="orders@brooklyn-refurb.example",
        country="US",
        subdivision="NY",
        time_zone="America/New_York",
    ),
    Seller(
        id="s-bayarea",
        name="Bay Area Renewed",
        email="ship@bayarea-renewed.example",
        country="US",
        subdivision="CA",
        time_zone="America/Los_Angeles",
    ),
    Seller(
        id="s-london",
        name="Second Life Tech Ltd",
        email="dispatch@secondlife.example",
        country="GB",
        time_zone="Europe/London",
    ),
    Seller(
        id="s-lyon",
        name="Reconditionné Lyon",
        email="expedition@recond-lyon.example",
        country="FR",
        time_zone="Europe/Paris",
    ),
    Seller(
        id="s-munich",
        name="Munich ReTech GmbH",
        email="versand@retech.example",
        country="DE",
        subdivision="BY",
        time_zone="Europe/Berlin",
    ),
    Seller(
        id="s-sydney",
        name="Harbour Refurbished",
        email="orders@harbour.example",
        country="AU",
        subdivision="NSW",
        time_zone="Australia/Sydney",
    ),
)

CUSTOMERS = (
    Customer(
        id="c-ada",
        email="ada@example.com",
        name="Ada Byron",
        given_name="Ada",
        locale="en",
        time_zone="America/New_York",
        country="US",
    ),
    Customer(
        id="c-grace",
        email="grace@example.org",
        name="Grace Hopper",
        given_name="Grace",
        locale="en",
        time_zone="America/Chicago",
        country="US",
    ),
    Customer(
        id="c-marie",
        email="marie@example.fr",
        name="Marie Curie",
        given_name="Marie",
        locale="fr",
        time_zone="Europe/Paris",
        country="FR",
    ),
    Customer(
        id="c-alan",
        email="alan@example.co.uk",
        name="Alan Turing",
        given_name="Alan",
        locale="en",
        time_zone="Europe/London",
        country="GB",
    ),
    Customer(
        id="c-emmy",
        email="emmy@example.de",
        name="Emmy Noether",
        given_name="Emmy",
        locale="en",
        time_zone="Europe/Berlin",
        country="DE",
    ),
)

ITEMS = (
    Item(sku="iphone-13-128", title="iPhone 13, 128 GB, excellent"),
    Item(sku="macbook-air-m1", title="MacBook Air M1, 8 GB / 256 GB"),
    Item(sku="pixel-7", title="Google Pixel 7, good"),
    Item(sku="ipad-9", title="iPad (9th generation), Wi-Fi"),
)
LARGE_ITEMS = (
    Item(sku="tv-oled-55", title='OLED TV 55", refurbished', large=True),
    Item(sku="fridge-ff-70", title="Fridge-freezer, 70 cm", large=True),
)
