import pytest
from pydantic import ValidationError

from services.notifier.links import LinkSettings, link_locale, tracking_link

DEFAULTS = LinkSettings()


@pytest.mark.parametrize(
    ("carrier", "number", "expected"),
    [
        (
            "ups",
            "1Z999AA10123456784",
            "https://www.ups.com/track?loc=en_US&tracknum=1Z999AA10123456784",
        ),
        ("fedex", "794612345678", "https://www.fedex.com/fedextrack/?trknbr=794612345678"),
        (
            "usps",
            "9400111899223197428490",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490",
        ),
        (
            "dhl",
            "1234567890",  # a DHL Express waybill: the Express page
            "https://www.dhl.com/us-en/home/tracking/tracking-express.html?submit=1&tracking-id=1234567890",
        ),
        (
            "dhl",
            "JJD0123456789",  # a DHL Express piece id
            "https://www.dhl.com/us-en/home/tracking/tracking-express.html?submit=1&tracking-id=JJD0123456789",
        ),
        (
            "dhl",
            "GM2951234567890123",  # DHL eCommerce: the parcel page
            "https://www.dhl.com/us-en/home/tracking/tracking-parcel.html?submit=1&tracking-id=GM2951234567890123",
        ),
    ],
)
def test_link_follows_the_carrier_template(carrier: str, number: str, expected: str) -> None:
    assert tracking_link(carrier, number, DEFAULTS) == expected


@pytest.mark.parametrize(
    ("number", "encoded"),
    [
        ("1Z&tracknum=evil", "1Z%26tracknum%3Devil"),
        ("a/b?c#d", "a%2Fb%3Fc%23d"),
        ('"><script>', "%22%3E%3Cscript%3E"),
        ("ÄÖ-42", "%C3%84%C3%96-42"),
        ("{n}", "%7Bn%7D"),
    ],
)
def test_link_url_encodes_the_number_when_it_has_odd_characters(number: str, encoded: str) -> None:
    link = tracking_link("fedex", number, DEFAULTS)
    assert link == f"https://www.fedex.com/fedextrack/?trknbr={encoded}"


def test_link_uses_the_compact_number_without_spaces() -> None:
    assert tracking_link("usps", " 9400 1118\t9922 ", DEFAULTS) == (
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=940011189922"
    )


@pytest.mark.parametrize(
    ("locale", "country", "loc"),
    [
        ("fr-FR", "FR", "fr_FR"),
        ("fr", "FR", "fr_FR"),
        ("fr-CA", "CA", "fr_CA"),
        ("en", "US", "en_US"),
    ],
)
def test_ups_links_speak_the_customers_locale(locale: str, country: str, loc: str) -> None:
    link = tracking_link("ups", "1Z999AA10123456784", DEFAULTS, link_locale(locale, country))
    assert link == f"https://www.ups.com/track?loc={loc}&tracknum=1Z999AA10123456784"


def test_link_uses_the_template_from_settings() -> None:
    settings = LinkSettings(templates={"ups": "https://track.example.com/ups/{n}?src=mail"})
    assert tracking_link("ups", "1Z 1", settings) == "https://track.example.com/ups/1Z1?src=mail"
    assert tracking_link("fedex", "794612345678", settings) is None


@pytest.mark.parametrize(
    ("carrier", "number"),
    [("ontrac", "C123"), (None, "1Z1"), ("ups", None), ("ups", ""), ("ups", "   ")],
)
def test_no_link_when_the_carrier_has_no_template_or_there_is_no_number(
    carrier: str | None, number: str | None
) -> None:
    assert tracking_link(carrier, number, DEFAULTS) is None


@pytest.mark.parametrize(
    "template",
    [
        "https://www.ups.com/track?tracknum=",
        "https://www.ups.com/track?a={n}&b={n}",
        "http://www.ups.com/track?tracknum={n}",
        "javascript:alert({n})",
        "/track/{n}",
    ],
)
def test_settings_reject_a_template_when_it_is_not_an_https_url_with_one_placeholder(
    template: str,
) -> None:
    with pytest.raises(ValidationError):
        LinkSettings(templates={"ups": template})
