"""Issue 13's customer journeys, end to end on the real broker and PostgreSQL: for each, the
exact messages every recipient got (kind, order, count) and the key facts in their text.

All journeys are played once, together, on one clock (``played``); each test then reads
its own order's messages. Expected messages and facts come from the help pages' rules as
issue 13 states them, worked out by hand for these dates.
"""

import io
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from pypdf import PdfReader

from services.notifier.chat import TITLES
from services.notifier.context import OrderInfo, recipient_for
from services.notifier.kinds import MessageKind
from shared.contracts.events import Audience, DisputeDocument, OrderPlaced
from tests.e2e.journeys import (
    CARRIER_SAYS,
    CHICAGO,
    ESTIMATE,
    PARIS,
    SIGNED_BY,
    Buyer,
    Journey,
    Outcome,
    Stack,
    Step,
    confirmed,
    delivered,
    disputed,
    journey_stack,
    placed,
    shipped,
)
from tests.integration.notifier.png import non_white_share
from tests.integration.sla.scenarios import (
    DELIVERED_AT,
    HOUR,
    REPORTED,
    SHIPPED,
    T0,
    at,
    dispute_resolved,
    documents,
    payment_declined,
    registered,
)
from tests.support import infrastructure
from tests.support.chromium import run as chromium_run
from tests.support.deadlines import past_deadlines_shown
from tests.support.tools import require

pytestmark = pytest.mark.asyncio(loop_scope="module")

K = MessageKind
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "journeys"

# Three business days after Wednesday 25th (Thanksgiving on the 26th): Tuesday 1 December,
# 23:59:59 in New York = 22:59:59 in Chicago = 05:59:59 on the 2nd in Paris.
DOCUMENTS_DUE_CHICAGO = "Tuesday, December 1, 2026, 10:59 PM CST"
DOCUMENTS_DUE_PARIS = "mercredi 2 décembre 2026, 05:59"


def in_time(order_id: str, buyer: Buyer = CHICAGO) -> tuple[Step, ...]:
    """Placed, confirmed and registered at T0; shipped Monday evening; delivered Wednesday."""
    order = (placed(order_id, buyer), confirmed(order_id, buyer))
    return (
        (T0, (*order, registered(order_id))),
        (SHIPPED + HOUR, shipped(order_id, estimated_delivery=ESTIMATE)),
        (DELIVERED_AT + HOUR, delivered(order_id)),
    )


JOURNEYS = {
    "on_time": Journey("on_time", "o-on-time", in_time("o-on-time")),
    "dispute_with_documents": Journey(
        "dispute_with_documents",
        "o-dispute-docs",
        (
            *in_time("o-dispute-docs", PARIS),
            (REPORTED, (disputed("o-dispute-docs"),)),
            (
                at("2026-11-27T10:00:00-05:00"),
                (documents("o-dispute-docs", DisputeDocument.PHOTO_ID, at("2026-11-27T09:00Z")),),
            ),
            (
                at("2026-11-27T11:00:00-05:00"),
                (
                    documents(
                        "o-dispute-docs", DisputeDocument.NON_RECEIPT_FORM, at("2026-11-27T10:00Z")
                    ),
                ),
            ),
        ),
    ),
    "dispute_reported_late": Journey(
        "dispute_reported_late",
        "o-late-report",
        (
            *in_time("o-late-report"),
            (
                at("2026-12-03T10:00:00-05:00"),
                (disputed("o-late-report", at("2026-12-03T15:00Z")),),
            ),
            # overdue one second after the end of Friday 4th in New York: 23:00 in Chicago,
            # in the customer's quiet hours; the reminder goes at 08:00
            (at("2026-12-05T00:00:00-05:00"), ()),
            (at("2026-12-05T08:00:00-06:00"), ()),
            (at("2026-12-06T00:00:00-05:00"), ()),  # escalated to ops: nobody hears twice
            (
                at("2026-12-07T10:00:00-05:00"),
                (dispute_resolved("o-late-report", at("2026-12-07T15:00Z")),),
            ),
        ),
    ),
    "documents_never_sent": Journey(
        "documents_never_sent",
        "o-no-docs",
        (
            *in_time("o-no-docs"),
            (REPORTED, (disputed("o-no-docs"),)),
            (at("2026-11-30T00:00:00-05:00"), ()),  # the reminder: 23:00 Sunday in Chicago
            (at("2026-11-30T08:00:00-06:00"), ()),  # …sent in the morning
            (at("2026-12-02T00:00:00-05:00"), ()),  # overdue: ops told, no second reminder
            (at("2026-12-02T08:00:00-06:00"), ()),
            (at("2026-12-03T00:00:00-05:00"), ()),
            (
                at("2026-12-04T10:00:00-05:00"),
                (dispute_resolved("o-no-docs", at("2026-12-04T15:00Z")),),
            ),
        ),
    ),
    "stalled_then_delivered": Journey(
        "stalled_then_delivered",
        "o-stalled",
        (
            (T0, (placed("o-stalled"), confirmed("o-stalled"), registered("o-stalled"))),
            (SHIPPED + HOUR, shipped("o-stalled")),
            # no scan since Monday: stalled at the end of Friday 27th in New York (22:59:59
            # in Chicago, quiet hours): the customer hears at 08:00 on Saturday
            (at("2026-11-27T23:59:59-05:00"), ()),
            (at("2026-11-28T08:00:00-06:00"), ()),
            (at("2026-11-28T23:59:59-05:00"), ()),  # escalated to ops
            (
                at("2026-11-30T11:00:00-06:00"),
                delivered("o-stalled", at("2026-11-30T10:00:00-06:00")),
            ),
        ),
    ),
    "payment_declined": Journey(
        "payment_declined",
        "o-declined",
        (
            (T0, (placed("o-declined"),)),
            (
                T0 + timedelta(minutes=10),
                (payment_declined("o-declined", T0 + timedelta(minutes=10)),),
            ),
            (T0 + timedelta(minutes=30), ()),
            (at("2026-11-25T02:00:00-05:00"), ()),
        ),
    ),
    "unconfirmed": Journey(
        "unconfirmed",
        "o-unconfirmed",
        (
            (T0, (placed("o-unconfirmed"),)),
            (T0 + timedelta(minutes=29), ()),
            (T0 + timedelta(minutes=30), ()),
            (at("2026-11-25T02:00:00-05:00"), ()),
        ),
    ),
    "confirmed_at_ten_shipped_next_afternoon": Journey(
        "confirmed_at_ten_shipped_next_afternoon",
        "o-next-day",
        (
            (T0, (placed("o-next-day"), confirmed("o-next-day"), registered("o-next-day"))),
            (at("2026-11-24T01:59:59-05:00"), ()),  # the seller's deadline + 2 h grace
            (
                at("2026-11-24T16:00:00-05:00"),
                shipped("o-next-day", at("2026-11-24T15:00:00-05:00")),
            ),
            (at("2026-11-25T01:59:59-05:00"), ()),  # the customer's promise + 2 h grace
            (DELIVERED_AT + HOUR, delivered("o-next-day")),
        ),
    ),
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def played(
    postgres: infrastructure.Database,
    broker: infrastructure.Broker,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Stack, dict[str, Outcome]]]:
    async with journey_stack(postgres, broker, tmp_path_factory.mktemp("mail")) as stack:
        await stack.play(list(JOURNEYS.values()))
        outcomes = {name: await stack.outcome(j.order_id) for name, j in JOURNEYS.items()}
        yield stack, outcomes


def no_past_deadline(stack: Stack, order_id: str, outcome: Outcome) -> None:
    """The invariant on every customer e-mail of the journey, at the time it was sent: no
    deadline of any SLA event of the order that had passed then is written in it."""
    [order] = [
        OrderInfo.from_event(event.data)
        for journey in JOURNEYS.values()
        if journey.order_id == order_id
        for _, events in journey.steps
        for event in events
        if isinstance(event.data, OrderPlaced)
    ]
    recipient = recipient_for(order, Audience.CUSTOMER)
    for mail in outcome.customer:
        for event in stack.sla.records[order_id]:
            shown = past_deadlines_shown(mail.text, event.data, recipient, mail.sent_at)
            assert shown == [], mail.kind


def never_closed(outcome: Outcome) -> None:
    for mail in (*outcome.customer, *outcome.seller):
        assert "closed" not in mail.text.lower() and " clos" not in mail.text.lower(), mail.kind


def ops_titles(*kinds: MessageKind, late: bool = False) -> list[str]:
    return [
        TITLES[k] + (" (reported late): decide" if late and k is K.OPS_DELIVERED_DISPUTED else "")
        for k in kinds
    ]


# --- the journeys ------------------------------------------------------------------------


async def test_on_time_the_customer_hears_shipped_then_delivered_and_nothing_else(
    played: tuple[Stack, dict[str, Outcome]],
) -> None:
    stack, outcomes = played
    outcome = outcomes["on_time"]
    assert outcome.kinds() == {
        "customer": ["customer_shipped", "customer_delivered"],
        "seller": [],
        "ops": [],
    }
    shipped_mail = outcome.mail("customer_shipped").text
    assert "https://www.ups.com/track?loc=en_US&tracknum=1Z999AA10123456784" in shipped_mail
    assert "\u201cMy orders\u201d \u2192 \u201cShow more details\u201d" in shipped_mail
    assert "Hi Ada," in shipped_mail
    done = outcome.mail("customer_delivered").text
    for fact in (
        "UPS delivered order o-on-time on Wednesday, November 25, 2026, 2:00 PM CST",
        CARRIER_SAYS,
        SIGNED_BY,
        "Not there?",
        "(800) 742-5877",
        "Ask for help",
        f"by {DOCUMENTS_DUE_CHICAGO}",
        "an affiliated business or a UPS Access Point",
    ):
        assert fact in done, fact
    no_past_deadline(stack, "o-on-time", outcome)


async def test_a_dispute_in_time_with_documents_tells_the_seller_to_file_the_claim(
    played: tuple[Stack, dict[str, Outcome]],
) -> None:
    stack, outcomes = played
    outcome = outcomes["dispute_with_documents"]
    assert outcome.kinds() == {
        "customer": [
            "customer_shipped",
            "customer_delivered",
            "customer_delivered_disputed",
            "customer_documents_received",
        ],
        "seller": ["seller_delivered_disputed", "seller_documents_received"],
        "ops": ops_titles(K.OPS_DELIVERED_DISPUTED),
    }
    dispute = outcome.mail("customer_delivered_disputed")
    assert dispute.message["Content-Language"] == "fr"
    assert f"avant le {DOCUMENTS_DUE_PARIS}" in dispute.text
    assert dispute.text.count(DOCUMENTS_DUE_PARIS) == 1  # said once
    assert "https://www.ups.com/track?loc=fr_FR&tracknum=1Z999AA10123456784" in dispute.text
    assert "(800)" not in dispute.text  # a customer in France: the carrier's contact page
    assert "https://www.ups.com/us/en/support/contact-us.page" in dispute.text
    [pdf] = list(dispute.message.iter_attachments())
    page = " ".join(PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text().split())
    for fact in (
        "Déclaration de non-réception",
        "o-dispute-docs",
        "iPhone 13",
        "UPS",
        "1Z999AA10123456784",
        CARRIER_SAYS,
        "Camille Martin",
        "Signature",
    ):
        assert fact in page, fact
    received = outcome.mail("customer_documents_received").text
    assert (
        "un remplacement, ou un remboursement si l\u2019article n\u2019est plus en stock"
        in received
    )
    seller = outcome.mail("seller_documents_received").text
    assert "Claim: the seller files a claim with the carrier." in seller
    assert "a replacement, or a refund if the item is no longer in stock" in seller
    first = outcome.mail("seller_delivered_disputed").text
    assert "We will tell you when they are in: then file the claim." in first
    no_past_deadline(stack, "o-dispute-docs", outcome)


async def test_a_dispute_reported_late_alerts_ops_shows_no_past_date_and_closes_nothing(
    played: tuple[Stack, dict[str, Outcome]],
) -> None:
    stack, outcomes = played
    outcome = outcomes["dispute_reported_late"]
    assert outcome.kinds() == {
        "customer": [
            "customer_shipped",
            "customer_delivered",
            "customer_delivered_disputed",
            "customer_documents_overdue",
        ],
        "seller": ["seller_delivered_disputed", "seller_documents_overdue"],
        "ops": ops_titles(K.OPS_DELIVERED_DISPUTED, K.OPS_DOCUMENTS_OVERDUE, late=True),
    }
    dispute = outcome.mail("customer_delivered_disputed").text
    assert "as soon as possible" in dispute
    assert "December 1" not in dispute
    reminder = outcome.mail("customer_documents_overdue")
    assert reminder.sent_at == at("2026-12-05T08:00:00-06:00")  # held through the night
    assert "as soon as possible" in reminder.text
    assert (
        "Do not file a claim or offer anything until we contact you."
        in outcome.mail("seller_delivered_disputed").text
    )
    never_closed(outcome)
    no_past_deadline(stack, "o-late-report", outcome)


async def test_documents_never_sent_give_one_reminder_and_tell_ops_without_closing(
    played: tuple[Stack, dict[str, Outcome]],
) -> None:
    stack, outcomes = played
    outcome = outcomes["documents_never_sent"]
    assert outcome.kinds() == {
        "customer": [
            "customer_shipped",
            "customer_delivered",
            "customer_delivered_disputed",
            "customer_documents_due",
        ],
        "seller": ["seller_delivered_disputed", "seller_documents_due", "seller_documents_overdue"],
        "ops": ops_titles(K.OPS_DELIVERED_DISPUTED, K.OPS_DOCUMENTS_OVERDUE),
    }
    reminder = outcome.mail("customer_documents_due")
    assert reminder.sent_at == at("2026-11-30T08:00:00-06:00")
    assert f"by {DOCUMENTS_DUE_CHICAGO}" in reminder.text
    never_closed(outcome)
    no_past_deadline(stack, "o-no-docs", outcome)


async def test_stalled_then_delivered_gives_the_stalled_email_and_a_follow_up(
    played: tuple[Stack, dict[str, Outcome]],
) -> None:
    stack, outcomes = played
    outcome = outcomes["stalled_then_delivered"]
    assert outcome.kinds() == {
        "customer": ["customer_shipped", "customer_tracking_stalled", "customer_delivered"],
        "seller": ["seller_tracking_stalled"],
        "ops": ops_titles(K.OPS_TRACKING_STALLED),
    }
    stalled = outcome.mail("customer_tracking_stalled")
    assert stalled.sent_at == at("2026-11-28T08:00:00-06:00")  # quiet hours: the morning
    assert "we will write again when the package moves" in stalled.text
    assert "Monday, November 30, 2026, 10:00 AM CST" in outcome.mail("customer_delivered").text
    no_past_deadline(stack, "o-stalled", outcome)


async def test_a_declined_payment_gives_one_decline_email_and_no_pending_email(
    played: tuple[Stack, dict[str, Outcome]],
) -> None:
    _, outcomes = played
    outcome = outcomes["payment_declined"]
    assert outcome.kinds() == {"customer": ["customer_payment_declined"], "seller": [], "ops": []}
    text = outcome.mail("customer_payment_declined").text
    assert "Your bank declined the payment: insufficient funds." in text
    assert "Use another card" in text and "Contact your bank" in text
    assert "place your order again" in text.lower()


async def test_an_unconfirmed_order_gets_one_email_at_thirty_minutes_with_three_steps(
    played: tuple[Stack, dict[str, Outcome]],
) -> None:
    _, outcomes = played
    outcome = outcomes["unconfirmed"]
    assert outcome.kinds() == {"customer": ["customer_order_unconfirmed"], "seller": [], "ops": []}
    mail = outcome.mail("customer_order_unconfirmed")
    assert mail.sent_at == T0 + timedelta(minutes=30)
    steps = [
        "Look in your spam or junk folder",
        "Check with your bank",
        "If your bank did not approve it, place your order again.",
    ]
    positions = [mail.text.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "do not need to order again" not in mail.text


async def test_confirmed_at_ten_and_shipped_next_afternoon_breaches_only_for_the_seller(
    played: tuple[Stack, dict[str, Outcome]],
) -> None:
    _, outcomes = played
    outcome = outcomes["confirmed_at_ten_shipped_next_afternoon"]
    assert outcome.kinds() == {
        "customer": ["customer_shipped", "customer_delivered"],
        "seller": ["seller_ship_by_missed"],
        "ops": [],
    }
    assert outcome.mail("seller_ship_by_missed").sent_at == at("2026-11-24T01:59:59-05:00")


# --- screenshots a person can look at ----------------------------------------------------


def chromium_shot(chromium: str, html: str, shot: Path, profile: Path) -> float:
    page = shot.with_suffix(".html")
    page.write_text(html, encoding="utf-8")
    chromium_run(chromium, profile, f"--screenshot={shot}", page.as_uri(), width=700)
    return non_white_share(shot.read_bytes())


async def test_screenshots_of_the_delivered_and_disputed_emails_and_the_declaration(
    played: tuple[Stack, dict[str, Outcome]], chromium: str, tmp_path: Path
) -> None:
    _, outcomes = played
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {
        "delivered-en": outcomes["on_time"].mail("customer_delivered").html,
        "disputed-en": outcomes["documents_never_sent"].mail("customer_delivered_disputed").html,
        "disputed-fr": outcomes["dispute_with_documents"].mail("customer_delivered_disputed").html,
    }
    for name, html in shots.items():
        share = chromium_shot(chromium, html, SCREENSHOTS / f"{name}.png", tmp_path / "profile")
        assert share > 0.01, name  # drawn, not blank
    dispute = outcomes["dispute_with_documents"].mail("customer_delivered_disputed")
    [pdf] = list(dispute.message.iter_attachments())
    (SCREENSHOTS / "declaration-fr.pdf").write_bytes(pdf.get_content())
    pdftoppm = require("pdftoppm")
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "80",
            "-singlefile",
            str(SCREENSHOTS / "declaration-fr.pdf"),
            str(SCREENSHOTS / "declaration-fr"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert non_white_share((SCREENSHOTS / "declaration-fr.png").read_bytes()) > 0.005
