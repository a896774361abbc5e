"""The customer journey's messages (issue 13): no deadline in the past, quiet hours, the
declaration of non-receipt attached, the whole MIME message in the preview."""

import io
import re
from datetime import UTC, datetime, timedelta
from email import message_from_string
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from services.notifier.cli import notify
from services.notifier.compose import Composer
from services.notifier.context import MessageContext, Recipient, recipient_for
from services.notifier.kinds import MessageKind
from services.notifier.links import LinkSettings
from services.notifier.mail import MailSettings
from services.notifier.rendering import (
    PastDeadline,
    Renderer,
)
from services.notifier.routing import RoutingSettings, quiet_release, route
from services.notifier.samples import sample_context, sample_event, sample_now
from shared.contracts.events import EventData
from tests.support.deadlines import past_deadlines_shown

from .conftest import order_with, plain

K = MessageKind
CUSTOMER_KINDS = [k for k in MessageKind if k.audience == "customer"]


def rendered_at(
    kind: MessageKind, event: EventData, now: datetime, language: str
) -> tuple[str, Recipient]:
    context = MessageContext(sample_context(kind, language).order, event)
    recipient = recipient_for(context.order, kind.audience)
    message = Renderer(LinkSettings()).render(kind, context, recipient, now)
    return message.text + message.subject, recipient


def journey_variants(kind: MessageKind) -> list[tuple[EventData, datetime]]:
    """The sample event of ``kind`` at its own time, and later moments a message can be
    written at (held for quiet hours, sent after an outage): each with its ``now``."""
    event = sample_event(kind)
    now = sample_now(event)
    moments = [now, now + timedelta(hours=11)]
    cases = [(event, moment) for moment in moments]
    if kind is K.CUSTOMER_DELIVERED_DISPUTED:
        cases.append((event.model_copy(update={"late_report": True}), now + timedelta(days=9)))
    if kind in (K.CUSTOMER_DELIVERED, K.CUSTOMER_DOCUMENTS_OVERDUE):
        cases.append((event, now + timedelta(days=9)))  # after the window: no date
    return cases


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
def test_no_customer_message_shows_a_deadline_in_the_past(kind: MessageKind, language: str) -> None:
    for event, now in journey_variants(kind):
        text, recipient = rendered_at(kind, event, now, language)
        assert past_deadlines_shown(text, event, recipient, now) == [], (kind, now)


def test_the_invariant_check_fails_on_a_message_that_shows_a_passed_deadline() -> None:
    # A deliberately broken input: the seller's overdue notice states the passed deadline
    # (sellers may read it); given to the customer check, it must be caught.
    event = sample_event(K.SELLER_DOCUMENTS_OVERDUE)
    now = sample_now(event) + timedelta(days=5)
    text, recipient = rendered_at(K.SELLER_DOCUMENTS_OVERDUE, event, now, "en")
    assert past_deadlines_shown(text, event, recipient, now) == [
        f"documents_due={event.documents_due.isoformat()}"  # type: ignore[attr-defined]
    ]


def test_the_renderer_refuses_a_deadline_that_passed_before_sending() -> None:
    # The reminder's deadline passed while it waited (an outage): refused, never sent wrong.
    event = sample_event(K.CUSTOMER_DOCUMENTS_DUE)
    too_late = event.documents_due + timedelta(minutes=1)  # type: ignore[attr-defined]
    with pytest.raises(PastDeadline, match="is not after"):
        rendered_at(K.CUSTOMER_DOCUMENTS_DUE, event, too_late, "en")


def test_the_delivered_email_asks_to_report_as_soon_as_possible_once_the_window_passed() -> None:
    event = sample_event(K.CUSTOMER_DELIVERED)
    text, _ = rendered_at(K.CUSTOMER_DELIVERED, event, sample_now(event) + timedelta(days=9), "en")
    assert "Report it as soon as possible" in " ".join(text.split())


# --- quiet hours ------------------------------------------------------------------------

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("local", "release"),
    [
        ("2025-03-10T20:59:59", None),
        ("2025-03-10T21:00:00", "2025-03-11T08:00:00"),
        ("2025-03-10T23:30:00", "2025-03-11T08:00:00"),
        ("2025-03-11T03:00:00", "2025-03-11T08:00:00"),
        ("2025-03-11T08:00:00", None),
        ("2025-03-11T12:00:00", None),
        # the night the clocks go forward (2:00 -> 3:00 on Sunday 9 March 2025)
        ("2025-03-09T01:30:00", "2025-03-09T08:00:00"),
    ],
)
def test_quiet_hours_hold_until_eight_in_the_customers_zone(
    local: str, release: str | None
) -> None:
    now = datetime.fromisoformat(local).replace(tzinfo=CHICAGO)
    expected = None if release is None else datetime.fromisoformat(release).replace(tzinfo=CHICAGO)
    assert quiet_release(now, CHICAGO, RoutingSettings()) == expected


def test_quiet_hours_can_be_switched_off_and_moved() -> None:
    night = datetime(2025, 3, 10, 23, 0, tzinfo=CHICAGO)
    assert (
        quiet_release(night, CHICAGO, RoutingSettings(quiet_until=RoutingSettings().quiet_from))
        is None
    )
    day = RoutingSettings(
        quiet_from=datetime(2025, 1, 1, 12).time(), quiet_until=datetime(2025, 1, 1, 14).time()
    )
    assert quiet_release(datetime(2025, 3, 10, 13, 0, tzinfo=CHICAGO), CHICAGO, day) == datetime(
        2025, 3, 10, 14, 0, tzinfo=CHICAGO
    )


def test_only_customer_delay_and_problem_emails_wait_for_the_morning() -> None:
    late_evening = datetime(2025, 3, 10, 22, 15, tzinfo=CHICAGO).astimezone(UTC)
    morning = datetime(2025, 3, 11, 8, 0, tzinfo=CHICAGO)
    stalled = sample_context(K.CUSTOMER_TRACKING_STALLED)
    held = {n.kind: n.not_before for n in route(stalled, RoutingSettings(), late_evening)}
    assert held == {
        K.CUSTOMER_TRACKING_STALLED: morning,
        K.SELLER_TRACKING_STALLED: None,
        K.OPS_TRACKING_STALLED: None,
    }
    delivered = route(sample_context(K.CUSTOMER_DELIVERED), RoutingSettings(), late_evening)
    assert [n.not_before for n in delivered] == [None]
    paris = order_with("fr")  # 05:15 in Paris: quiet there too, until 08:00 Paris time
    french = route(MessageContext(paris, stalled.event), RoutingSettings(), late_evening)
    assert french[0].not_before == datetime(2025, 3, 11, 8, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_the_two_documents_reminders_share_one_slot() -> None:
    due = route(
        sample_context(K.CUSTOMER_DOCUMENTS_DUE),
        RoutingSettings(),
        datetime(2025, 3, 10, 18, tzinfo=UTC),
    )
    overdue = route(
        sample_context(K.CUSTOMER_DOCUMENTS_OVERDUE),
        RoutingSettings(),
        datetime(2025, 3, 14, 18, tzinfo=UTC),
    )
    customer = {n.kind: n.dedup_key for n in (*due, *overdue) if n.audience == "customer"}
    assert customer[K.CUSTOMER_DOCUMENTS_DUE] == customer[K.CUSTOMER_DOCUMENTS_OVERDUE]


# --- the declaration and the whole message ----------------------------------------------


def disputed_email(language: str) -> EmailMessage:
    context = sample_context(K.CUSTOMER_DELIVERED_DISPUTED, language)
    return Composer(LinkSettings(), MailSettings()).email(
        K.CUSTOMER_DELIVERED_DISPUTED,
        context.order,
        context.event,
        "ord/customer_delivered_disputed/x",
        sample_now(context.event),
    )


def pdf_text(email: EmailMessage) -> tuple[str, str]:
    [attachment] = list(email.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    data = attachment.get_content()
    assert data.startswith(b"%PDF-")
    page = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    return str(attachment.get_filename()), " ".join(page.split())


@pytest.mark.parametrize(
    ("language", "filename", "words"),
    [
        (
            "en",
            "declaration-of-non-receipt.pdf",
            ["declaration of non-receipt", "Delivered (carrier)", "Name", "Signature", "Date"],
        ),
        (
            "fr",
            "declaration-de-non-reception.pdf",
            [
                "déclaration de non-réception",
                "Livré (selon le transporteur)",
                "Nom",
                "Signature",
                "Date",
            ],
        ),
    ],
)
def test_the_disputed_email_attaches_the_declaration_filled_in(
    language: str, filename: str, words: list[str]
) -> None:
    email = disputed_email(language)
    assert email.get_content_type() == "multipart/mixed"
    body = email.get_body(("plain",))
    assert body is not None and words[0] in body.get_content()
    name, text = pdf_text(email)
    assert name == filename
    event = sample_event(K.CUSTOMER_DELIVERED_DISPUTED)
    order = sample_context(K.CUSTOMER_DELIVERED_DISPUTED, language).order
    when = {"en": "Friday, March 7, 2025, 1:31 PM CST", "fr": "vendredi 7 mars 2025, 20:31"}[
        language
    ]
    for fact in (
        words[0].capitalize(),
        *words[1:],
        order.order_id,
        "iPhone 13, 128 GB, Midnight",
        "USB-C to Lightning cable",
        "USPS",
        event.tracking_number,  # type: ignore[attr-defined]
        when,
        "Delivered, In/At Mailbox",
        order.customer.name,
    ):
        assert fact in text, fact


def test_preview_eml_prints_the_whole_mime_message_with_the_attachment() -> None:
    result = CliRunner().invoke(
        notify, ["preview", "customer_delivered_disputed", "--format", "eml"]
    )
    assert result.exit_code == 0, result.output
    parsed = message_from_string(result.stdout)
    assert parsed["Subject"] == "Package marked delivered but not received: what to do"
    assert re.fullmatch(r"<[0-9a-f]{32}@parcelwatch\.invalid>", parsed["Message-ID"])
    types = [part.get_content_type() for part in parsed.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
    assert 'filename="declaration-of-non-receipt.pdf"' in result.stdout


def test_greeting_uses_the_given_name_and_the_to_header_the_full_name() -> None:
    context = sample_context(K.CUSTOMER_SHIPPED)
    email = Composer(LinkSettings(), MailSettings()).email(
        K.CUSTOMER_SHIPPED, context.order, context.event, "k", sample_now(context.event)
    )
    assert email["To"] == "Jamie Rivera <jamie.rivera@example.com>"
    body = email.get_body(("plain",))
    assert body is not None and "Hi Jamie," in body.get_content()
    nameless = order_with(customer={"given_name": None})
    text = (
        Renderer(LinkSettings())
        .render(
            K.CUSTOMER_SHIPPED,
            MessageContext(nameless, context.event),
            recipient_for(nameless, K.CUSTOMER_SHIPPED.audience),
            sample_now(context.event),
        )
        .text
    )
    assert "Hi Jamie Rivera," in text


def test_large_items_are_said_to_take_longer() -> None:
    large = order_with()
    large = large.model_copy(
        update={"items": [i.model_copy(update={"large": True}) for i in large.items]}
    )
    for kind in (K.CUSTOMER_SHIPPED, K.CUSTOMER_SHIP_BY_MISSED, K.CUSTOMER_DELIVERY_LATE):
        event = sample_event(kind)
        if kind is K.CUSTOMER_SHIP_BY_MISSED:
            event = event.model_copy(update={"large": True})
        text = (
            Renderer(LinkSettings())
            .render(
                kind,
                MessageContext(large, event),
                recipient_for(large, kind.audience),
                sample_now(event),
            )
            .text
        )
        assert "Large items can take longer to ship and to deliver." in " ".join(text.split()), kind
    promise = sample_event(K.CUSTOMER_SHIP_BY_MISSED).model_copy(update={"large": True})
    text = (
        Renderer(LinkSettings())
        .render(
            K.CUSTOMER_SHIP_BY_MISSED,
            MessageContext(large, promise),
            recipient_for(large, K.CUSTOMER_SHIP_BY_MISSED.audience),
            sample_now(promise),
        )
        .text
    )
    assert "within 2 business days for an order with a large item" in " ".join(text.split())


def test_the_shipped_email_says_where_tracking_lives_in_the_account() -> None:
    for language, words in (
        ("en", "\u201cMy orders\u201d \u2192 \u201cShow more details\u201d"),
        ("fr", "\u00ab Mes commandes \u00bb \u2192 \u00ab Voir plus de d\u00e9tails \u00bb"),
    ):
        context = sample_context(K.CUSTOMER_SHIPPED, language)
        text = (
            Renderer(LinkSettings())
            .render(
                K.CUSTOMER_SHIPPED,
                context,
                recipient_for(context.order, K.CUSTOMER_SHIPPED.audience),
                sample_now(context.event),
            )
            .text
        )
        assert words in " ".join(plain(text).split())


@pytest.mark.parametrize(
    ("language", "going_back", "problem"),
    [
        ("en", "on its way back to the seller", "problem"),
        ("fr", "repart vers le vendeur", "problème"),
    ],
)
def test_a_return_to_the_seller_is_not_called_a_delivery_problem(
    language: str, going_back: str, problem: str
) -> None:
    kind = MessageKind.CUSTOMER_CARRIER_EXCEPTION
    event = sample_event(kind).model_copy(update={"reason": "returned_to_sender"})
    context = MessageContext(sample_context(kind, language).order, event)
    message = Renderer(LinkSettings()).render(
        kind, context, recipient_for(context.order, kind.audience), sample_now(event)
    )
    assert going_back in message.subject and going_back in message.text.lower()
    assert problem not in (message.subject + message.text).lower()
