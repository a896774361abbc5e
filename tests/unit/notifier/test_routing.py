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
from shared.contracts.statuses import TrackingStatus

from .conftest import context_of

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


def status_changed(
    previous: TrackingStatus | None, status: TrackingStatus
) -> TrackingStatusChanged:
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
        **PARCEL,
        severity=severity,
        latest_status=TrackingStatus.IN_TRANSIT,
        estimated_delivery=date(2025, 3, 7),
    )


def stalled(severity: Severity) -> SlaTrackingStalled:
    return SlaTrackingStalled(**PARCEL, severity=severity, latest_status=TrackingStatus.IN_TRANSIT)


@pytest.mark.parametrize(
    ("previous", "status"),
    [
        (None, TrackingStatus.IN_TRANSIT),
        (TrackingStatus.LABEL_CREATED, TrackingStatus.IN_TRANSIT),
        (TrackingStatus.UNKNOWN, TrackingStatus.IN_TRANSIT),
        (TrackingStatus.LABEL_CREATED, TrackingStatus.DELIVERED),
        (TrackingStatus.LABEL_CREATED, TrackingStatus.EXCEPTION),
        (None, TrackingStatus.RETURNED_TO_SENDER),
    ],
)
def test_shipped_email_goes_to_the_customer_when_the_parcel_first_reaches_in_transit_or_later(
    previous: TrackingStatus | None, status: TrackingStatus
) -> None:
    assert kinds(status_changed(previous, status)) == {MessageKind.CUSTOMER_SHIPPED}


@pytest.mark.parametrize(
    ("previous", "status"),
    [
        (None, TrackingStatus.LABEL_CREATED),
        (TrackingStatus.LABEL_CREATED, TrackingStatus.UNKNOWN),
        (TrackingStatus.LABEL_CREATED, TrackingStatus.CANCELLED),
        (TrackingStatus.IN_TRANSIT, TrackingStatus.DELIVERED),
        (TrackingStatus.IN_TRANSIT, TrackingStatus.EXCEPTION),
        (TrackingStatus.EXCEPTION, TrackingStatus.IN_TRANSIT),
        (TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER),
    ],
)
def test_nobody_hears_of_a_status_change_when_it_is_not_the_first_shipped_status(
    previous: TrackingStatus | None, status: TrackingStatus
) -> None:
    assert kinds(status_changed(previous, status)) == set()


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (TrackingStatus.AVAILABLE_FOR_PICKUP, MessageKind.CUSTOMER_AVAILABLE_FOR_PICKUP),
        (TrackingStatus.DELIVERY_ATTEMPTED, MessageKind.CUSTOMER_DELIVERY_ATTEMPTED),
    ],
)
def test_pickup_and_attempt_updates_go_to_the_customer_by_default(
    status: TrackingStatus, kind: MessageKind
) -> None:
    assert kinds(status_changed(TrackingStatus.OUT_FOR_DELIVERY, status)) == {kind}


def test_out_for_delivery_update_is_not_sent_by_default() -> None:
    assert (
        kinds(status_changed(TrackingStatus.IN_TRANSIT, TrackingStatus.OUT_FOR_DELIVERY)) == set()
    )


def test_out_for_delivery_update_is_sent_when_switched_on() -> None:
    settings = RoutingSettings(out_for_delivery=True)
    event = status_changed(TrackingStatus.IN_TRANSIT, TrackingStatus.OUT_FOR_DELIVERY)
    assert kinds(event, settings) == {MessageKind.CUSTOMER_OUT_FOR_DELIVERY}


@pytest.mark.parametrize(
    ("status", "settings"),
    [
        (TrackingStatus.AVAILABLE_FOR_PICKUP, RoutingSettings(available_for_pickup=False)),
        (TrackingStatus.DELIVERY_ATTEMPTED, RoutingSettings(delivery_attempted=False)),
    ],
)
def test_update_is_not_sent_when_switched_off(
    status: TrackingStatus, settings: RoutingSettings
) -> None:
    assert kinds(status_changed(TrackingStatus.IN_TRANSIT, status), settings) == set()


def test_shipped_email_and_update_both_go_out_when_the_first_shipped_status_is_an_update() -> None:
    event = status_changed(TrackingStatus.LABEL_CREATED, TrackingStatus.DELIVERY_ATTEMPTED)
    assert kinds(event) == {MessageKind.CUSTOMER_SHIPPED, MessageKind.CUSTOMER_DELIVERY_ATTEMPTED}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # the customer hears of the promise (sla.ship_promise_missed), not of this deadline
        (ship_by(Severity.SELLER), {MessageKind.SELLER_SHIP_BY_MISSED}),
        (
            ship_by(Severity.OPS),
            {MessageKind.SELLER_SHIP_BY_MISSED, MessageKind.OPS_SHIP_BY_MISSED},
        ),
        (late(Severity.SELLER), {MessageKind.CUSTOMER_DELIVERY_LATE}),
        (late(Severity.OPS), {MessageKind.CUSTOMER_DELIVERY_LATE, MessageKind.OPS_DELIVERY_LATE}),
        (
            stalled(Severity.SELLER),
            {MessageKind.CUSTOMER_TRACKING_STALLED, MessageKind.SELLER_TRACKING_STALLED},
        ),
        (
            stalled(Severity.OPS),
            {
                MessageKind.CUSTOMER_TRACKING_STALLED,
                MessageKind.SELLER_TRACKING_STALLED,
                MessageKind.OPS_TRACKING_STALLED,
            },
        ),
        (
            SlaDeliveredDisputed(**DISPUTE, delivered_at=NOW, expected_delivery=date(2025, 3, 7)),
            {
                MessageKind.CUSTOMER_DELIVERED_DISPUTED,
                MessageKind.SELLER_DELIVERED_DISPUTED,
                MessageKind.OPS_DELIVERED_DISPUTED,
            },
        ),
        (
            SlaDisputeDocumentsDue(**DISPUTE, missing_documents=[DisputeDocument.PHOTO_ID]),
            {MessageKind.CUSTOMER_DOCUMENTS_DUE, MessageKind.SELLER_DOCUMENTS_DUE},
        ),
        (
            SlaDisputeDocumentsOverdue(**DISPUTE, missing_documents=[DisputeDocument.PHOTO_ID]),
            {
                MessageKind.CUSTOMER_DOCUMENTS_OVERDUE,
                MessageKind.SELLER_DOCUMENTS_OVERDUE,
                MessageKind.OPS_DOCUMENTS_OVERDUE,
            },
        ),
        (
            SlaOrderUnconfirmed(
                order_id=ORDER_ID, seller_id="sel-1042", detected_at=NOW, placed_at=NOW
            ),
            {MessageKind.CUSTOMER_ORDER_UNCONFIRMED},
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
    event = SlaCarrierException(**PARCEL, latest_status=TrackingStatus.EXCEPTION, reason=reason)
    assert kinds(event) == {
        MessageKind.CUSTOMER_CARRIER_EXCEPTION,
        MessageKind.SELLER_CARRIER_EXCEPTION,
        MessageKind.OPS_CARRIER_EXCEPTION,
    }


def resolved(kind: SlaKind, latest: TrackingStatus) -> SlaResolved:
    return SlaResolved(
        order_id=ORDER_ID,
        seller_id="sel-1042",
        resolved_kind=kind,
        reason="carrier resumed",
        resolved_at=NOW,
        latest_status=latest,
    )


@pytest.mark.parametrize("kind", [SlaKind.TRACKING_STALLED, SlaKind.CARRIER_EXCEPTION])
@pytest.mark.parametrize(
    "latest",
    [
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.AVAILABLE_FOR_PICKUP,
        TrackingStatus.DELIVERY_ATTEMPTED,
    ],
)
def test_a_cleared_problem_of_a_parcel_on_its_way_again_tells_the_customer(
    kind: SlaKind, latest: TrackingStatus
) -> None:
    assert kinds(resolved(kind, latest)) == {MessageKind.CUSTOMER_TRACKING_RESUMED}


@pytest.mark.parametrize(
    "latest",
    [
        TrackingStatus.EXCEPTION,  # a stall cleared by "lost" or "damaged": not moving
        TrackingStatus.DELIVERED,
        TrackingStatus.RETURNED_TO_SENDER,
        TrackingStatus.CANCELLED,
        TrackingStatus.UNKNOWN,
        TrackingStatus.LABEL_CREATED,
    ],
)
def test_a_stall_cleared_by_a_scan_that_is_no_movement_is_not_moving_again(
    latest: TrackingStatus,
) -> None:
    assert kinds(resolved(SlaKind.TRACKING_STALLED, latest)) == set()


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
        status_changed(TrackingStatus.LABEL_CREATED, TrackingStatus.DELIVERY_ATTEMPTED),
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
    kind = MessageKind.CUSTOMER_SHIP_BY_MISSED
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
