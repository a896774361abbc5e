"""Every promise a message makes has a message behind it (issue 13).

``PROMISES`` lists each promise, in English and French, with the event that keeps it and
the kind of message that event sends. The scan below finds every sentence of every e-mail
(customer and seller, each variant) that promises something, and fails on one that is not
listed: a new "we will write again" without a message behind it cannot slip in.
"""

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pytest

from services.notifier.context import MessageContext, Recipient, recipient_for
from services.notifier.kinds import MessageKind
from services.notifier.rendering import Renderer
from services.notifier.routing import RoutingSettings, triggered_kinds
from services.notifier.samples import ORDER_ID, SELLER_ID, sample_context, sample_event, sample_now
from shared.contracts.events import (
    EventData,
    ExceptionReason,
    OrderPaymentDeclined,
    Severity,
    SlaDelivered,
    SlaDeliveredDisputed,
    SlaDeliveryLate,
    SlaDisputeDocumentsOverdue,
    SlaDisputeDocumentsReceived,
    SlaKind,
    SlaResolved,
    SlaShipByMissed,
    SlaTrackingStalled,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus as S

from .conftest import plain

K = MessageKind
AT = datetime(2025, 3, 12, 15, 0, tzinfo=UTC)
PARCEL = {
    "order_id": ORDER_ID,
    "seller_id": SELLER_ID,
    "detected_at": AT,
    "severity": Severity.OPS,
    "shipment_id": "shp-1",
    "carrier": "ups",
    "tracking_number": "1Z999AA10123456784",
    "latest_status": S.IN_TRANSIT,
}
DISPUTE = {
    **{k: v for k, v in PARCEL.items() if k != "latest_status"},
    "case_id": "case-1",
    "documents_due": AT,
}


def resolved(kind: SlaKind, status: S) -> SlaResolved:
    return SlaResolved(
        order_id=ORDER_ID,
        seller_id=SELLER_ID,
        resolved_kind=kind,
        reason="new scan",
        resolved_at=AT,
        latest_status=status,
    )


SHIPPED = TrackingStatusChanged(
    order_id=ORDER_ID,
    shipment_id="shp-1",
    carrier="ups",
    tracking_number="1Z999AA10123456784",
    previous_status=S.LABEL_CREATED,
    status=S.IN_TRANSIT,
    carrier_code="I",
    description="Departed",
    occurred_at=AT,
)
DELIVERED = SlaDelivered(
    **{k: v for k, v in PARCEL.items() if k != "latest_status"},
    delivered_at=AT,
    expected_delivery=date(2025, 3, 12),
    documents_due=AT,
)
LATE_REPORT = SlaDeliveredDisputed(
    **DISPUTE, delivered_at=AT, expected_delivery=date(2025, 3, 7), late_report=True
)


@dataclass(frozen=True)
class Promise:
    kind: MessageKind
    """The message that promises."""
    en: str
    fr: str
    kept_by: EventData
    """The event that keeps it…"""
    keeper: MessageKind
    """…by sending this message."""


PROMISES = (
    Promise(
        K.CUSTOMER_SHIPPED,
        "We will write again if the delivery runs late.",
        "Nous vous écrirons de nouveau si la livraison prend du retard.",
        SlaDeliveryLate(**PARCEL, estimated_delivery=date(2025, 3, 7)),
        K.CUSTOMER_DELIVERY_LATE,
    ),
    Promise(
        K.CUSTOMER_SHIP_BY_MISSED,
        "We have asked the seller to ship your order right away.",
        "Nous avons demandé au vendeur d\u2019expédier votre commande sans attendre.",
        SlaShipByMissed(
            **{k: PARCEL[k] for k in ("order_id", "seller_id", "detected_at")},
            deadline=AT,
            missing="never_scanned",
        ),
        K.SELLER_SHIP_BY_MISSED,  # the seller's deadline is never after the promise
    ),
    Promise(
        K.CUSTOMER_SHIP_BY_MISSED,
        "you will get an email with its tracking link",
        "vous recevrez un e-mail avec le lien de suivi",
        SHIPPED,
        K.CUSTOMER_SHIPPED,
    ),
    Promise(
        K.CUSTOMER_DELIVERY_LATE,
        "will tell the seller if it stops moving",
        "préviendrons le vendeur s\u2019il ne bouge plus",
        SlaTrackingStalled(**PARCEL),
        K.SELLER_TRACKING_STALLED,
    ),
    Promise(
        K.CUSTOMER_TRACKING_STALLED,
        "We have asked the seller to check with the carrier.",
        "Nous avons demandé au vendeur de se renseigner auprès du transporteur.",
        SlaTrackingStalled(**PARCEL),
        K.SELLER_TRACKING_STALLED,
    ),
    Promise(
        K.CUSTOMER_TRACKING_STALLED,
        "we will write again when the package moves",
        "nous vous écrirons dès que le colis repartira",
        resolved(SlaKind.TRACKING_STALLED, S.IN_TRANSIT),
        K.CUSTOMER_TRACKING_RESUMED,
    ),
    Promise(
        K.CUSTOMER_TRACKING_STALLED,
        "we will write again when the package moves",
        "nous vous écrirons dès que le colis repartira",
        DELIVERED,  # moved straight to the door: the delivered e-mail is the news
        K.CUSTOMER_DELIVERED,
    ),
    Promise(
        K.CUSTOMER_CARRIER_EXCEPTION,
        "We will write again as soon as the package moves.",
        "Nous vous écrirons dès que le colis repartira.",
        resolved(SlaKind.CARRIER_EXCEPTION, S.IN_TRANSIT),
        K.CUSTOMER_TRACKING_RESUMED,
    ),
    Promise(
        K.CUSTOMER_CARRIER_EXCEPTION,
        "We have told the seller, who is checking with the carrier.",
        "Nous avons prévenu le vendeur, qui se renseigne auprès du transporteur.",
        sample_event(K.SELLER_CARRIER_EXCEPTION),
        K.SELLER_CARRIER_EXCEPTION,
    ),
    Promise(
        K.CUSTOMER_DELIVERED,
        "For the claim we will then need a copy of a photo ID",
        "il nous faudra alors la copie d\u2019une pièce d\u2019identité",
        sample_event(K.CUSTOMER_DELIVERED_DISPUTED),  # the request comes with the report
        K.CUSTOMER_DELIVERED_DISPUTED,
    ),
    Promise(
        K.CUSTOMER_DELIVERED_DISPUTED,
        "our Customer Care team reviews your case and tells you what comes next",
        "notre Service client examine votre dossier et vous dira la suite",
        LATE_REPORT,
        K.OPS_DELIVERED_DISPUTED,
    ),
    Promise(
        K.CUSTOMER_DOCUMENTS_OVERDUE,
        "Our Customer Care team is reviewing your case and will tell you what comes next.",
        "Notre Service client examine votre dossier et vous dira la suite.",
        SlaDisputeDocumentsOverdue(**DISPUTE, missing_documents=["photo_id"]),
        K.OPS_DOCUMENTS_OVERDUE,
    ),
    Promise(
        K.CUSTOMER_DOCUMENTS_RECEIVED,
        "Our Customer Care team reviews your case and will tell you what comes next.",
        "Notre Service client examine votre dossier et vous dira la suite.",
        SlaDisputeDocumentsReceived(**DISPUTE, late=True),
        K.OPS_DOCUMENTS_RECEIVED,
    ),
    Promise(
        K.CUSTOMER_ORDER_UNCONFIRMED,
        "If your bank declines the payment, you will also get an email with the reason.",
        "Si votre banque refuse le paiement, vous recevrez aussi un e-mail qui en donne la raison.",
        OrderPaymentDeclined(
            order_id=ORDER_ID, declined_at=AT, reason_code="do_not_honor", reason="Declined."
        ),
        K.CUSTOMER_PAYMENT_DECLINED,
    ),
    Promise(
        K.SELLER_DELIVERED_DISPUTED,
        "We will tell you when they are in",
        "Nous vous préviendrons à leur arrivée",
        SlaDisputeDocumentsReceived(**DISPUTE),
        K.SELLER_DOCUMENTS_RECEIVED,
    ),
    Promise(
        K.SELLER_DOCUMENTS_DUE,
        "we will tell you when they are",
        "nous vous préviendrons à leur arrivée",
        SlaDisputeDocumentsReceived(**DISPUTE),
        K.SELLER_DOCUMENTS_RECEIVED,
    ),
    Promise(
        K.SELLER_DELIVERED_DISPUTED,
        "Do not file a claim or offer anything until we contact you.",
        "Ne déposez pas de réclamation et ne proposez rien avant notre retour.",
        LATE_REPORT,
        K.OPS_DELIVERED_DISPUTED,
    ),
    Promise(
        K.SELLER_DOCUMENTS_OVERDUE,
        "Do not file a claim or offer anything until we contact you.",
        "Ne déposez pas de réclamation et ne proposez rien avant notre retour.",
        SlaDisputeDocumentsOverdue(**DISPUTE, missing_documents=["photo_id"]),
        K.OPS_DOCUMENTS_OVERDUE,
    ),
    Promise(
        K.SELLER_DOCUMENTS_RECEIVED,
        "Do not file a claim or offer anything until we contact you.",
        "Ne déposez pas de réclamation et ne proposez rien avant notre retour.",
        SlaDisputeDocumentsReceived(**DISPUTE, late=True),
        K.OPS_DOCUMENTS_RECEIVED,
    ),
)

PROMISING = {
    "en": re.compile(
        r"\b(we will|we\u2019ll|you will|we have asked|we have told|will tell|until we contact)\b",
        re.IGNORECASE,
    ),
    "fr": re.compile(
        r"(nous vous écrirons|vous recevrez|nous avons demandé|nous avons prévenu|vous dira"
        r"|nous vous préviendrons|préviendrons|il nous faudra|avant notre retour)",
        re.IGNORECASE,
    ),
}


def variants(kind: MessageKind) -> list[EventData]:
    """The sample event of ``kind`` and the variants that change its words."""
    event = sample_event(kind)
    if kind in (K.CUSTOMER_CARRIER_EXCEPTION, K.SELLER_CARRIER_EXCEPTION):
        return [event.model_copy(update={"reason": reason}) for reason in ExceptionReason]
    if isinstance(event, SlaDeliveredDisputed):
        return [event, event.model_copy(update={"late_report": True})]
    if isinstance(event, SlaDisputeDocumentsReceived):
        return [event, event.model_copy(update={"late": True})]
    return [event]


def speaking(recipient: Recipient, language: str) -> Recipient:
    """``recipient`` reading ``language`` (sellers get English, but French exists too)."""
    return replace(recipient, locale=language)


def sentences(text: str) -> list[str]:
    flat = " ".join(plain(text).split())
    return [s for s in re.split(r"(?<=[.!?:;])\s+|\s-\s", flat) if s]


@pytest.mark.parametrize("promise", PROMISES, ids=lambda p: f"{p.kind}->{p.keeper}")
def test_each_promise_is_kept_by_a_message(promise: Promise) -> None:
    settings = RoutingSettings()
    assert promise.keeper in triggered_kinds(promise.kept_by, settings)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", [k for k in MessageKind if k.audience != "ops"])
def test_every_promise_in_a_message_is_listed(
    renderer: Renderer, kind: MessageKind, language: str
) -> None:
    listed = [getattr(p, language) for p in PROMISES if p.kind is kind]
    for event in variants(kind):
        context = MessageContext(sample_context(kind, language).order, event)
        recipient = speaking(recipient_for(context.order, kind.audience), language)
        text = renderer.render(kind, context, recipient, sample_now(event)).text
        for sentence in sentences(text):
            if PROMISING[language].search(sentence):
                assert any(phrase in sentence for phrase in listed), (kind, sentence)


@pytest.mark.parametrize("promise", PROMISES, ids=lambda p: f"{p.kind}/{p.en[:30]}")
def test_each_listed_promise_is_in_its_message(renderer: Renderer, promise: Promise) -> None:
    for language in ("en", "fr"):
        texts = []
        for event in variants(promise.kind):
            context = MessageContext(sample_context(promise.kind, language).order, event)
            recipient = speaking(recipient_for(context.order, promise.kind.audience), language)
            rendered = renderer.render(promise.kind, context, recipient, sample_now(event))
            texts.append(" ".join(plain(rendered.text).split()))
        assert any(getattr(promise, language) in text for text in texts), language
