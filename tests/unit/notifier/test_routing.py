from datetime import UTC, date, datetime

import pytest

from services.notifier.context import MessageContext, Recipient
from services.notifier.kinds import TRIGGERS, MessageKind
from services.notifier.routing import RoutingSettings, dedup_key, route
from services.notifier.samples import ORDER_ID, sample_event, sample_order
from shared.contracts.events import (
    Audience,
    Channel,
    DisputeDocument,
    EventData,
    ExceptionReason,
    InvalidNumberReason,
    MissingShipment,
    Severity,
    SlaCarrierException,
    SlaDeliveredDisputed,
    SlaDeliveryLate,
    SlaDisputeDocumentsDue,
    SlaDisputeDocumentsOverdue,
    SlaKind,
    SlaOrderUnconfirmed,
    SlaResolved,
    SlaShipByMissed,
    SlaTrackingStalled,
    TrackingNumberInvalid,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus as S

from .conftest import context_of

K = MessageKind
NOW = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
PARCEL = {
    "order_id": ORDER_ID,
    "seller_id": "sel-1042",
    "detected_at": NOW,
    "shipment_id": "shp-1",
    "carrier": "ups",
    "tracking_number": "1Z999AA10123456784",
}
DISPUTE = {**PARCEL, "case_id": "case-1", "documents_due": NOW}


def kinds(event: EventData, settings: RoutingSettings | None = None) -> set[MessageKind]:
    return {n.kind for n in route(context_of(event), settings or RoutingSettings(), NOW)}


def status_changed(previous: S | None, status: S) -> TrackingStatusChanged:
    return TrackingStatusChanged(
        order_id=ORDER_ID,
        shipment_id="shp-1",
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        previous_status=previous,
        status=status,
        carrier_code="X",
        description="scan",
        occurred_at=NOW,
    )


def ship_by(severity: Severity) -> SlaShipByMissed:
    return SlaShipByMissed(
        order_id=ORDER_ID,
        seller_id="sel-1042",
        detected_at=NOW,
        severity=severity,
        deadline=NOW,
        missing=MissingShipment.NO_TRACKING_NUMBER,
    )


def late(severity: Severity) -> SlaDeliveryLate:
    return SlaDeliveryLate(
        **PARCEL, severity=severity, latest_status=S.IN_TRANSIT, estimated_delivery=date(2025, 3, 7)
    )


def stalled(severity: Severity) -> SlaTrackingStalled:
    return SlaTrackingStalled(**PARCEL, severity=severity, latest_status=S.IN_TRANSIT)


@pytest.mark.parametrize(
    ("previous", "status"),
    [
        (None, S.IN_TRANSIT),
        (S.LABEL_CREATED, S.IN_TRANSIT),
        (S.UNKNOWN, S.IN_TRANSIT),
        (S.LABEL_CREATED, S.DELIVERED),
        (S.LABEL_CREATED, S.EXCEPTION),
        (None, S.RETURNED_TO_SENDER),
    ],
)
def test_shipped_email_goes_to_the_customer_when_the_parcel_first_reaches_in_transit_or_later(
    previous: S | None, status: S
) -> None:
    assert kinds(status_changed(previous, status)) == {K.CUSTOMER_SHIPPED}


@pytest.mark.parametrize(
    ("previous", "status"),
    [
        (None, S.LABEL_CREATED),
        (S.LABEL_CREATED, S.UNKNOWN),
        (S.LABEL_CREATED, S.CANCELLED),
        (S.IN_TRANSIT, S.DELIVERED),
        (S.IN_TRANSIT, S.EXCEPTION),
        (S.EXCEPTION, S.IN_TRANSIT),
        (S.DELIVERED, S.RETURNED_TO_SENDER),
    ],
)
def test_nobody_hears_of_a_status_change_when_it_is_not_the_first_shipped_status(
    previous: S | None, status: S
) -> None:
    assert kinds(status_changed(previous, status)) == set()


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (S.AVAILABLE_FOR_PICKUP, K.CUSTOMER_AVAILABLE_FOR_PICKUP),
        (S.DELIVERY_ATTEMPTED, K.CUSTOMER_DELIVERY_ATTEMPTED),
    ],
)
def test_pickup_and_attempt_updates_go_to_the_customer_by_default(
    status: S, kind: MessageKind
) -> None:
    assert kinds(status_changed(S.OUT_FOR_DELIVERY, status)) == {kind}


def test_out_for_delivery_update_is_not_sent_by_default() -> None:
    assert kinds(status_changed(S.IN_TRANSIT, S.OUT_FOR_DELIVERY)) == set()


def test_out_for_delivery_update_is_sent_when_switched_on() -> None:
    settings = RoutingSettings(out_for_delivery=True)
    event = status_changed(S.IN_TRANSIT, S.OUT_FOR_DELIVERY)
    assert kinds(event, settings) == {K.CUSTOMER_OUT_FOR_DELIVERY}


@pytest.mark.parametrize(
    ("status", "settings"),
    [
        (S.AVAILABLE_FOR_PICKUP, RoutingSettings(available_for_pickup=False)),
        (S.DELIVERY_ATTEMPTED, RoutingSettings(delivery_attempted=False)),
    ],
)
def test_update_is_not_sent_when_switched_off(status: S, settings: RoutingSettings) -> None:
    assert kinds(status_changed(S.IN_TRANSIT, status), settings) == set()


def test_shipped_email_and_update_both_go_out_when_the_first_shipped_status_is_an_update() -> None:
    event = status_changed(S.LABEL_CREATED, S.DELIVERY_ATTEMPTED)
    assert kinds(event) == {K.CUSTOMER_SHIPPED, K.CUSTOMER_DELIVERY_ATTEMPTED}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # the customer hears of the promise (sla.ship_promise_missed), not of this deadline
        (ship_by(Severity.SELLER), {K.SELLER_SHIP_BY_MISSED}),
        (ship_by(Severity.OPS), {K.SELLER_SHIP_BY_MISSED, K.OPS_SHIP_BY_MISSED}),
        (late(Severity.SELLER), {K.CUSTOMER_DELIVERY_LATE}),
        (late(Severity.OPS), {K.CUSTOMER_DELIVERY_LATE, K.OPS_DELIVERY_LATE}),
        (stalled(Severity.SELLER), {K.CUSTOMER_TRACKING_STALLED, K.SELLER_TRACKING_STALLED}),
        (
            stalled(Severity.OPS),
            {K.CUSTOMER_TRACKING_STALLED, K.SELLER_TRACKING_STALLED, K.OPS_TRACKING_STALLED},
        ),
        (
            SlaDeliveredDisputed(**DISPUTE, delivered_at=NOW, expected_delivery=date(2025, 3, 7)),
            {K.CUSTOMER_DELIVERED_DISPUTED, K.SELLER_DELIVERED_DISPUTED, K.OPS_DELIVERED_DISPUTED},
        ),
        (
            SlaDisputeDocumentsDue(**DISPUTE, missing_documents=[DisputeDocument.PHOTO_ID]),
            {K.CUSTOMER_DOCUMENTS_DUE, K.SELLER_DOCUMENTS_DUE},
        ),
        (
            SlaDisputeDocumentsOverdue(**DISPUTE, missing_documents=[DisputeDocument.PHOTO_ID]),
            {K.CUSTOMER_DOCUMENTS_OVERDUE, K.SELLER_DOCUMENTS_OVERDUE, K.OPS_DOCUMENTS_OVERDUE},
        ),
        (
            SlaOrderUnconfirmed(
                order_id=ORDER_ID, seller_id="sel-1042", detected_at=NOW, placed_at=NOW
            ),
            {K.CUSTOMER_ORDER_UNCONFIRMED},
        ),
    ],
    ids=lambda value: getattr(value, "event_type", "") + "/" + str(getattr(value, "severity", "")),
)
def test_sla_event_reaches_exactly_the_audiences_of_its_row(
    event: EventData, expected: set[MessageKind]
) -> None:
    assert kinds(event) == expected


@pytest.mark.parametrize("reason", list(ExceptionReason))
def test_carrier_exception_reaches_customer_seller_and_ops_whatever_the_reason(
    reason: ExceptionReason,
) -> None:
    event = SlaCarrierException(**PARCEL, latest_status=S.EXCEPTION, reason=reason)
    assert kinds(event) == {
        K.CUSTOMER_CARRIER_EXCEPTION,
        K.SELLER_CARRIER_EXCEPTION,
        K.OPS_CARRIER_EXCEPTION,
    }


@pytest.mark.parametrize(
    "event",
    [
        SlaResolved(
            order_id=ORDER_ID,
            seller_id="sel-1042",
            resolved_kind=SlaKind.SHIP_BY_MISSED,
            reason="shipped",
            resolved_at=NOW,
        ),
        TrackingNumberInvalid(
            **{k: v for k, v in PARCEL.items() if k not in ("seller_id", "detected_at")},
            reason=InvalidNumberReason.CHECK_DIGIT,
            detail="bad check digit",
            detected_at=NOW,
        ),
    ],
    ids=["sla.resolved", "tracking.number_invalid"],
)
def test_nobody_hears_of_events_outside_the_table(event: EventData) -> None:
    assert kinds(event) == set()


def test_every_routed_kind_is_rendered_from_the_event_that_triggers_it() -> None:
    events: list[EventData] = [
        ship_by(Severity.OPS),
        late(Severity.OPS),
        stalled(Severity.OPS),
        status_changed(S.LABEL_CREATED, S.DELIVERY_ATTEMPTED),
    ]
    for event in events:
        for notification in route(context_of(event), RoutingSettings(), NOW):
            assert isinstance(event, TRIGGERS[notification.kind])


def test_emails_carry_their_recipient_and_chat_messages_none() -> None:
    order = sample_order()
    notifications = route(MessageContext(order, stalled(Severity.OPS)), RoutingSettings(), NOW)
    by_audience = {n.audience: n for n in notifications}
    customer = by_audience[Audience.CUSTOMER].recipient
    seller = by_audience[Audience.SELLER].recipient
    assert customer is not None
    assert (customer.address, customer.locale) == (order.customer.email, "en")
    assert seller is not None
    assert (seller.address, seller.time_zone) == (order.seller.email, "America/Chicago")
    assert by_audience[Audience.OPS].recipient is None
    assert by_audience[Audience.OPS].channel is Channel.CHAT
    assert by_audience[Audience.CUSTOMER].channel is Channel.EMAIL


def test_dedup_keys_are_equal_when_the_same_situation_repeats() -> None:
    first = route(context_of(ship_by(Severity.SELLER)), RoutingSettings(), NOW)
    second = route(context_of(ship_by(Severity.OPS)), RoutingSettings(), NOW)
    shared = {n.kind: n.dedup_key for n in first}
    assert all(shared[n.kind] == n.dedup_key for n in second if n.kind in shared)


def test_dedup_keys_differ_by_kind_and_recipient() -> None:
    notifications = route(context_of(stalled(Severity.OPS)), RoutingSettings(), NOW)
    keys = [n.dedup_key for n in notifications]
    assert len(set(keys)) == len(keys) == 3
    assert all(key.startswith(f"{ORDER_ID}/") for key in keys)


def test_dedup_key_changes_when_the_recipient_address_changes() -> None:
    kind = K.CUSTOMER_SHIP_BY_MISSED
    first = Recipient(Audience.CUSTOMER, "en", "UTC", "jamie@example.com", "Jamie")
    second = Recipient(Audience.CUSTOMER, "en", "UTC", "someone.else@example.com", "Jamie")
    assert dedup_key(ORDER_ID, kind, first) != dedup_key(ORDER_ID, kind, second)
    assert dedup_key(ORDER_ID, kind, first) == dedup_key(ORDER_ID, kind, first)


def test_dedup_key_and_repr_leave_out_the_email_address_and_name() -> None:
    order = sample_order()
    for notification in route(context_of(stalled(Severity.OPS)), RoutingSettings(), NOW):
        for text in (notification.dedup_key, repr(notification), repr(notification.recipient)):
            assert order.customer.email not in text
            assert order.seller.email not in text
            assert order.customer.name not in text


def test_context_rejects_an_event_of_another_order() -> None:
    event = ship_by(Severity.SELLER).model_copy(update={"order_id": "ord-other"})
    with pytest.raises(ValueError, match="another order"):
        MessageContext(sample_order(), event)


def test_sample_event_of_each_kind_is_routed_to_that_kind() -> None:
    settings = RoutingSettings(out_for_delivery=True)
    for kind in MessageKind:
        assert kind in kinds(sample_event(kind), settings), kind
