import re
from datetime import UTC, datetime
from importlib.resources import files

import pytest

from services.notifier.context import MessageContext, OrderInfo, Recipient, recipient_for
from services.notifier.kinds import MessageKind
from services.notifier.rendering import (
    LANGUAGES,
    RenderedMessage,
    Renderer,
    formatting_locale,
    template_language,
)
from services.notifier.samples import sample_context, sample_event, sample_now
from shared.contracts.events import Audience, Channel, EventData, ExceptionReason, MissingShipment

from .conftest import order_with, plain

K = MessageKind
EMAIL_KINDS = [kind for kind in MessageKind if kind.channel is Channel.EMAIL]
NOW = datetime(2025, 3, 10, 14, 5, tzinfo=UTC)
SCRIPT = "<script>alert('x')</script>"


def render(
    renderer: Renderer,
    kind: MessageKind,
    locale: str = "en",
    *,
    event: EventData | None = None,
    order: OrderInfo | None = None,
    recipient_locale: str | None = None,
) -> RenderedMessage:
    context = sample_context(kind, locale)
    context = MessageContext(order or context.order, event or context.event)
    recipient = recipient_for(context.order, kind.audience)
    if recipient_locale is not None:
        recipient = Recipient(
            recipient.audience,
            recipient_locale,
            recipient.time_zone,
            recipient.address,
            recipient.name,
        )
    return renderer.render(kind, context, recipient, sample_now(context.event))


def disputed(carrier: str) -> EventData:
    event = sample_event(K.CUSTOMER_DELIVERED_DISPUTED)
    return event.model_copy(update={"carrier": carrier})


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", EMAIL_KINDS)
def test_every_email_kind_renders_subject_text_and_html_in_each_language(
    renderer: Renderer, kind: MessageKind, language: str
) -> None:
    message = render(renderer, kind, recipient_locale=language)
    assert message.language == language
    assert message.subject and "\n" not in message.subject
    assert "ord-2025-004817" in message.text
    assert message.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}"' in message.html
    assert "{{" not in message.text + message.html
    greeting = {"en": "Hi ", "fr": "Bonjour "}[language]
    assert greeting in message.text


@pytest.mark.parametrize("kind", EMAIL_KINDS)
def test_french_differs_from_english_for_every_kind(renderer: Renderer, kind: MessageKind) -> None:
    english = render(renderer, kind, recipient_locale="en")
    french = render(renderer, kind, recipient_locale="fr")
    assert english.subject != french.subject
    assert english.text != french.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "kind",
    [
        kind
        for kind in EMAIL_KINDS
        if getattr(sample_event(kind), "tracking_number", None)
        and kind != K.CUSTOMER_SHIP_BY_MISSED
    ],
)
def test_parcel_messages_show_the_tracking_number(
    renderer: Renderer, kind: MessageKind, language: str
) -> None:
    message = render(renderer, kind, recipient_locale=language)
    number = sample_event(kind).tracking_number  # type: ignore[attr-defined]
    assert number in plain(message.text)
    assert number in message.html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("kind", "link"),
    [
        (K.CUSTOMER_SHIPPED, "https://www.ups.com/track?loc=en_US&tracknum=1Z999AA10123456784"),
        (K.CUSTOMER_DELIVERY_LATE, "https://www.fedex.com/fedextrack/?trknbr=794612345678"),
        (
            K.CUSTOMER_DELIVERED_DISPUTED,
            # the compact number: the carrier's page takes no spaces
            "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490",
        ),
        (
            K.SELLER_TRACKING_STALLED,
            # a 10-digit DHL Express waybill: the Express tracking page
            "https://www.dhl.com/us-en/home/tracking/tracking-express.html?submit=1&tracking-id=1234567890",
        ),
    ],
)
def test_tracking_link_appears_in_text_and_as_an_escaped_href_in_html(
    renderer: Renderer, kind: MessageKind, link: str, language: str
) -> None:
    message = render(renderer, kind, recipient_locale=language)
    assert link in message.text
    assert f'href="{link.replace("&", "&amp;")}"' in message.html


def test_shipped_email_has_carrier_and_expected_delivery_when_known(renderer: Renderer) -> None:
    message = render(renderer, K.CUSTOMER_SHIPPED)
    assert "UPS" in message.text
    assert "Expected delivery: Friday, March 7, 2025" in message.text


def test_shipped_email_leaves_out_expected_delivery_when_unknown(renderer: Renderer) -> None:
    event = sample_event(K.CUSTOMER_SHIPPED).model_copy(update={"estimated_delivery": None})
    message = render(renderer, K.CUSTOMER_SHIPPED, event=event)
    assert "Expected delivery" not in message.text
    assert "Expected delivery" not in message.html


def test_shipped_email_has_no_link_when_the_carrier_has_no_template(renderer: Renderer) -> None:
    event = sample_event(K.CUSTOMER_SHIPPED).model_copy(update={"carrier": "ontrac"})
    message = render(renderer, K.CUSTOMER_SHIPPED, event=event)
    assert "https://" not in message.text
    assert "ontrac" in message.text


@pytest.mark.parametrize(
    ("kind", "language", "expected"),
    [
        # Due 2025-03-13 04:59 UTC: the evening before in Chicago, early morning in Paris.
        (K.CUSTOMER_DELIVERED_DISPUTED, "en", "Wednesday, March 12, 2025, 11:59 PM CDT"),
        (K.CUSTOMER_DOCUMENTS_DUE, "en", "Wednesday, March 12, 2025, 11:59 PM CDT"),
        (
            K.CUSTOMER_DELIVERED_DISPUTED,
            "fr",
            "jeudi 13 mars 2025, 05:59 heure normale d\u2019Europe centrale",
        ),
        (K.CUSTOMER_DOCUMENTS_DUE, "fr", "jeudi 13 mars 2025, 05:59"),
        (K.SELLER_DELIVERED_DISPUTED, "en", "Wednesday, March 12, 2025, 11:59 PM CDT"),
    ],
)
def test_documents_due_date_is_in_the_recipients_time_zone_and_words(
    renderer: Renderer, kind: MessageKind, language: str, expected: str
) -> None:
    message = render(renderer, kind, language)
    assert expected in plain(message.text).replace("\n", " ")
    assert expected in plain(message.html)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "March 12, 2025"), ("fr", "jeudi 13 mars 2025")],
)
def test_subject_date_is_the_day_in_the_recipients_time_zone(
    renderer: Renderer, locale: str, expected: str
) -> None:
    assert expected in render(renderer, K.CUSTOMER_DOCUMENTS_DUE, locale).subject


def test_dates_follow_the_recipients_regional_format_when_the_locale_has_a_region(
    renderer: Renderer,
) -> None:
    order = order_with(customer={"locale": "en-GB", "time_zone": "Europe/London"})
    message = render(renderer, K.CUSTOMER_DELIVERED_DISPUTED, order=order)
    assert "Thursday, 13 March 2025, 04:59 GMT" in plain(message.text).replace("\n", " ")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("carrier", "phone"),
    [
        ("usps", "(800) 222-1811"),
        ("ups", "(800) 742-5877"),
        ("fedex", "(800) 463-3339"),
        ("dhl", "(800) 225-5345"),
    ],
)
def test_dispute_guidance_gives_the_carriers_phone_number(
    renderer: Renderer, carrier: str, phone: str, language: str
) -> None:
    for kind in (K.CUSTOMER_DELIVERED_DISPUTED, K.SELLER_DELIVERED_DISPUTED):
        message = render(renderer, kind, event=disputed(carrier), recipient_locale=language)
        assert plain(message.text).count(phone) == 1  # said once
        assert phone in plain(message.html)


@pytest.mark.parametrize(
    ("carrier", "page"),
    [
        ("ups", "https://www.ups.com/us/en/support/contact-us.page"),
        ("dhl", "https://www.dhl.com/global-en/home/customer-service.html"),
    ],
)
def test_a_customer_outside_the_us_gets_the_carriers_contact_page_not_a_us_number(
    renderer: Renderer, carrier: str, page: str
) -> None:
    order = order_with("fr")  # a customer in France: no number configured there
    message = render(
        renderer, K.CUSTOMER_DELIVERED_DISPUTED, "fr", event=disputed(carrier), order=order
    )
    assert "(800)" not in message.text
    assert page in message.text
    assert f'href="{page}"' in message.html


@pytest.mark.parametrize(
    ("carrier", "language", "slip"),
    [
        ("usps", "en", "local post office"),
        ("ups", "en", "UPS Access Point"),
        ("usps", "fr", "bureau de poste local"),
        ("ups", "fr", "UPS Access Point"),
    ],
)
def test_dispute_guidance_explains_the_carriers_slip(
    renderer: Renderer, carrier: str, language: str, slip: str
) -> None:
    message = render(renderer, K.CUSTOMER_DELIVERED_DISPUTED, language, event=disputed(carrier))
    assert slip in plain(message.text).replace("\n", " ")


@pytest.mark.parametrize(
    ("language", "places"),
    [
        (
            "en",
            [
                "neighbors",
                "the lobby of an apartment building",
                "the side yard or behind shrubbery of a house",
                "door and mailbox, for an attempted-delivery notice",
                "a copy of a photo ID (state-issued driver\u2019s license, passport or state ID)",
                "the signed declaration of non-receipt",
                "the service request opened with Customer Care",
                "a replacement, or a refund if the item is no longer in stock",
            ],
        ),
        (
            "fr",
            [
                "voisins",
                "le hall d\u2019un immeuble",
                "derrière une haie",
                "boîte aux lettres, à la recherche d\u2019un avis de passage",
                "la copie d\u2019une pièce d\u2019identité avec photo",
                "la déclaration de non-réception signée",
                "la demande d\u2019assistance ouverte auprès du Service client",
                "un remplacement, ou un remboursement si l\u2019article n\u2019est plus en stock",
            ],
        ),
    ],
)
def test_dispute_guidance_lists_places_to_check_and_documents(
    renderer: Renderer, language: str, places: list[str]
) -> None:
    text = " ".join(plain(render(renderer, K.CUSTOMER_DELIVERED_DISPUTED, language).text).split())
    for place in places:
        assert place in text


def test_seller_dispute_email_gives_the_claim_in_the_help_pages_order(
    renderer: Renderer,
) -> None:
    text = " ".join(render(renderer, K.SELLER_DELIVERED_DISPUTED).text.split())
    documents = text.index("Documents: the customer uploads a copy of a photo ID")
    claim = text.index("Claim: the seller files a claim with the carrier.")
    solution = text.index(
        "Solution: the seller offers a replacement, or a refund if the item is no longer in stock."
    )
    assert documents < claim < solution
    assert "We will tell you when they are in: then file the claim." in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason", list(ExceptionReason))
def test_carrier_exception_names_what_happened(
    renderer: Renderer, reason: ExceptionReason, language: str
) -> None:
    words = {
        "en": {
            "lost": "lost",
            "damaged": "damaged",
            "returned_to_sender": "returned to sender",
            "other": "delivery problem",
        },
        "fr": {
            "lost": "perdu",
            "damaged": "endommagé",
            "returned_to_sender": "renvoyé à l\u2019expéditeur",
            "other": "incident de livraison",
        },
    }[language][reason]
    event = sample_event(K.CUSTOMER_CARRIER_EXCEPTION).model_copy(update={"reason": reason})
    for kind in (K.CUSTOMER_CARRIER_EXCEPTION, K.SELLER_CARRIER_EXCEPTION):
        message = render(renderer, kind, event=event, recipient_locale=language)
        assert words in plain(message.text).replace("\n", " ")


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        (MissingShipment.NO_TRACKING_NUMBER, "No tracking number has been uploaded."),
        (MissingShipment.NEVER_SCANNED, "the carrier has not scanned the parcel"),
        (MissingShipment.INVALID_TRACKING_NUMBER, "invalid or unknown to the carrier"),
    ],
)
def test_seller_escalation_says_what_is_missing(
    renderer: Renderer, missing: MissingShipment, expected: str
) -> None:
    event = sample_event(K.SELLER_SHIP_BY_MISSED).model_copy(update={"missing": missing})
    text = render(renderer, K.SELLER_SHIP_BY_MISSED, event=event).text.replace("\n", " ")
    assert expected in text


def test_late_email_shows_the_latest_carrier_status(renderer: Renderer) -> None:
    text = plain(render(renderer, K.CUSTOMER_DELIVERY_LATE).text)
    assert "Latest carrier status: In transit" in text
    assert "Departed FedEx hub MEMPHIS, TN" in text
    assert "Last scan: Friday, March 7, 2025, 3:12 AM CST" in text


def test_customer_supplied_markup_is_escaped_in_html(renderer: Renderer) -> None:
    order = order_with(
        customer={"name": SCRIPT},
        seller={"name": f"Shop {SCRIPT}"},
        items=[f'<img src=x onerror="alert(1)">{SCRIPT}'],
    )
    for kind in (K.CUSTOMER_SHIPPED, K.CUSTOMER_SHIP_BY_MISSED, K.SELLER_SHIP_BY_MISSED):
        html = render(renderer, kind, order=order).html
        assert "<script" not in html.lower()
        assert "<img" not in html
        assert "&lt;script&gt;" in html


def test_carrier_supplied_text_is_escaped_in_html(renderer: Renderer) -> None:
    event = sample_event(K.CUSTOMER_DELIVERY_LATE).model_copy(update={"latest_description": SCRIPT})
    html = render(renderer, K.CUSTOMER_DELIVERY_LATE, event=event).html
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_plain_text_keeps_names_verbatim_when_they_contain_markup(renderer: Renderer) -> None:
    order = order_with(customer={"name": "Tom & Jerry <3", "given_name": None})
    text = render(renderer, K.CUSTOMER_SHIPPED, order=order).text
    assert "Tom & Jerry <3" in text
    assert "&amp;" not in text


def test_html_layout_is_table_based_and_at_most_600px_wide(renderer: Renderer) -> None:
    html = render(renderer, K.CUSTOMER_SHIPPED).html
    assert 'role="presentation"' in html
    assert "max-width:600px" in html
    assert '<meta name="viewport"' in html
    assert "<title>Your order ord-2025-004817 has shipped</title>" in html


def test_plain_text_lines_stay_short_except_links(renderer: Renderer) -> None:
    for kind in EMAIL_KINDS:
        for line in render(renderer, kind).text.splitlines():
            assert len(line) <= 100 or "https://" in line or ": " in line, (kind, line)


@pytest.mark.parametrize(
    ("locale", "language", "formatting"),
    [
        ("en", "en", "en"),
        ("en-GB", "en", "en_GB"),
        ("fr", "fr", "fr"),
        ("fr-CA", "fr", "fr_CA"),
        ("de-DE", "en", "en"),
        ("pt-BR", "en", "en"),
    ],
)
def test_language_falls_back_to_english_when_the_locale_has_no_templates(
    locale: str, language: str, formatting: str
) -> None:
    assert template_language(locale) == language
    assert str(formatting_locale(locale, language)) == formatting


def test_unknown_locale_renders_in_english(renderer: Renderer) -> None:
    order = order_with(customer={"locale": "de-DE"})
    message = render(renderer, K.CUSTOMER_SHIPPED, order=order)
    assert message.language == "en"
    assert "Friday, March 7, 2025" in message.text


def test_renderer_refuses_a_kind_when_the_event_does_not_trigger_it(renderer: Renderer) -> None:
    context = sample_context(K.CUSTOMER_SHIPPED)
    recipient = recipient_for(context.order, Audience.CUSTOMER)
    with pytest.raises(TypeError, match=r"sla\.delivery_late"):
        renderer.render(K.CUSTOMER_DELIVERY_LATE, context, recipient, NOW)


def test_renderer_refuses_chat_kinds(renderer: Renderer) -> None:
    context = sample_context(K.OPS_CARRIER_EXCEPTION)
    recipient = recipient_for(context.order, Audience.CUSTOMER)
    with pytest.raises(ValueError, match="not an e-mail"):
        renderer.render(K.OPS_CARRIER_EXCEPTION, context, recipient, NOW)


def test_every_email_kind_has_a_packaged_template_in_every_language() -> None:
    root = files("services.notifier") / "templates"
    for language in LANGUAGES:
        names = {entry.name for entry in (root / language).iterdir()}
        assert {f"{kind}.jinja" for kind in EMAIL_KINDS} <= names, language
        assert not {n for n in names if re.match(r"(customer|seller)_", n)} - {
            f"{kind}.jinja" for kind in EMAIL_KINDS
        }


def test_seller_email_times_are_in_the_sellers_time_zone(renderer: Renderer) -> None:
    order = order_with(seller={"time_zone": "America/Los_Angeles"})
    text = plain(render(renderer, K.SELLER_SHIP_BY_MISSED, order=order).text)
    deadline = datetime(2025, 3, 6, 5, 59, tzinfo=UTC)  # the sample deadline
    assert deadline.hour == 5
    assert "Wednesday, March 5, 2025, 9:59 PM PST" in text.replace("\n", " ")
