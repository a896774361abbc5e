"""One scenario per SLA rule: input events at given instants, and the sla.v1 events
expected for the order after each step.

Times are absolute, and every expectation sits exactly on a deadline or on an input, so
scenarios can also be played together on one clock (the restart test does) and reach the
same results as alone. The seller is in New York (US-NY), the customer in Chicago.
Thursday 2026-11-26 is Thanksgiving.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.contracts.common import Customer, Item, Seller
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.events import (
    DeliveryDisputed,
    DisputeDocument,
    DisputeDocumentsReceived,
    DisputeResolution,
    DisputeResolved,
    EventData,
    InvalidNumberReason,
    OrderCancelled,
    OrderConfirmed,
    OrderPaymentDeclined,
    OrderPlaced,
    ShipmentRegistered,
    TrackingEvent,
    TrackingNumberInvalid,
    TrackingStatusChanged,
)
from shared.contracts.statuses import TrackingStatus as S


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

T0 = at("2026-11-23T10:00:00-05:00")  # Monday, before the 13:00 cutoff
DEADLINE = at("2026-11-23T23:59:59-05:00")
DETECTION = DEADLINE + 2 * HOUR
LARGE_DEADLINE = at("2026-11-24T23:59:59-05:00")
SHIPPED = at("2026-11-23T18:00:00-05:00")
# estimated Wednesday 25th: late at the end of that day in Chicago, plus two hours
LATE_AT = at("2026-11-25T23:59:59-06:00") + 2 * HOUR
# last scan Monday 23rd: Tuesday, Wednesday, (Thanksgiving), Friday
STALL_AT = at("2026-11-27T23:59:59-05:00")
DELIVERED_AT = at("2026-11-25T14:00:00-06:00")
REPORTED = DELIVERED_AT + 2 * HOUR
# three business days after Wednesday 25th: Friday, Monday, Tuesday 1 December
DOCUMENTS_DUE = at("2026-12-01T23:59:59-05:00")
REMINDER = at("2026-11-30T00:00:00-05:00")
OVERDUE = DOCUMENTS_DUE + SECOND
ESCALATE_AFTER = 24 * HOUR
# the customer was told to allow until the end of Tuesday (the first business day after)
PROMISE = at("2026-11-24T23:59:59-05:00")
PROMISE_DETECTION = PROMISE + 2 * HOUR  # also DETECTION + ESCALATE_AFTER

Expected = tuple[str, str]
"""An sla.v1 event as ``(type, severity)``, or ``("sla.resolved", resolved kind)``."""


@dataclass(frozen=True)
class Step:
    at: datetime
    send: tuple[CloudEvent[Any], ...] = ()
    expect: tuple[Expected, ...] | None = None
    """Every sla.v1 event of the order so far, in order (None: not checked here)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    order_id: str
    steps: tuple[Step, ...]
    check: Callable[[list[CloudEvent[Any]]], None] = field(default=lambda _: None)
    """Further assertions on the order's final events, e.g. payload fields."""


def _event(data: EventData, tag: str) -> CloudEvent[Any]:
    return new_event(data, "tests", event_id=f"{data.order_id}:{tag}", time=T0)


def _order(order_id: str, *, large: bool, country: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "placed_at": T0 - 5 * 60 * SECOND,
        "customer": Customer(
            id="c-1",
            email="ada@example.com",
            name="Ada",
            time_zone="America/Chicago",
            country="US",
        ),
        "seller": Seller(
            id="s-1",
            name="Refurb Inc",
            email="ops@refurb.example",
            country=country,
            subdivision="NY" if country == "US" else None,
            time_zone="America/New_York",
        ),
        "items": [Item(sku="tv-55", title="TV", large=large)],
        "marketplace": "us",
    }


def placed(order_id: str, placed_at: datetime = T0) -> CloudEvent[Any]:
    order = _order(order_id, large=False, country="US") | {"placed_at": placed_at}
    return _event(OrderPlaced(**order), "placed")


def confirmed(
    order_id: str, confirmed_at: datetime = T0, *, large: bool = False, country: str = "US"
) -> CloudEvent[Any]:
    data = OrderConfirmed(
        **_order(order_id, large=large, country=country), confirmed_at=confirmed_at
    )
    return _event(data, "confirmed")


def cancelled(order_id: str, when: datetime) -> CloudEvent[Any]:
    return _event(OrderCancelled(order_id=order_id, cancelled_at=when), "cancelled")


def payment_declined(order_id: str, when: datetime) -> CloudEvent[Any]:
    data = OrderPaymentDeclined(
        order_id=order_id,
        declined_at=when,
        reason_code="insufficient_funds",
        reason="Your bank declined the payment: insufficient funds.",
    )
    return _event(data, "declined")


PARCEL = {"shipment_id": "sh-1", "carrier": "ups", "tracking_number": "1Z999AA10123456784"}


def registered(order_id: str, when: datetime = T0) -> CloudEvent[Any]:
    return _event(ShipmentRegistered(order_id=order_id, registered_at=when, **PARCEL), "shipment")


def invalid_number(order_id: str, when: datetime) -> CloudEvent[Any]:
    data = TrackingNumberInvalid(
        order_id=order_id,
        reason=InvalidNumberReason.CHECK_DIGIT,
        detail="check digit mismatch",
        detected_at=when,
        **PARCEL,
    )
    return _event(data, "invalid")


def scan(
    order_id: str, status: S, occurred_at: datetime, description: str = "scan"
) -> CloudEvent[Any]:
    tag = f"scan-{status}-{occurred_at:%m%d%H%M}"
    data = TrackingEvent(
        order_id=order_id,
        fingerprint=f"fp-{tag}",
        status=status,
        carrier_code="X",
        description=description,
        occurred_at=occurred_at,
        observed_at=occurred_at + HOUR,
        **PARCEL,
    )
    return _event(data, tag)


def status_changed(
    order_id: str,
    status: S,
    occurred_at: datetime,
    *,
    estimated: date | None = None,
    delivered_at: datetime | None = None,
) -> CloudEvent[Any]:
    data = TrackingStatusChanged(
        order_id=order_id,
        previous_status=None,
        status=status,
        carrier_code="X",
        description=str(status),
        occurred_at=occurred_at,
        estimated_delivery=estimated,
        delivered_at=delivered_at,
        **PARCEL,
    )
    return _event(data, f"status-{status}-{occurred_at:%m%d%H%M}")


def disputed(order_id: str, when: datetime = REPORTED) -> CloudEvent[Any]:
    data = DeliveryDisputed(
        order_id=order_id, shipment_id="sh-1", case_id="case-1", reported_at=when
    )
    return _event(data, "disputed")


def documents(order_id: str, document: DisputeDocument, when: datetime) -> CloudEvent[Any]:
    data = DisputeDocumentsReceived(
        order_id=order_id, case_id="case-1", documents=[document], received_at=when
    )
    return _event(data, f"documents-{document}")


def dispute_resolved(order_id: str, when: datetime) -> CloudEvent[Any]:
    data = DisputeResolved(
        order_id=order_id,
        case_id="case-1",
        resolution=DisputeResolution.REFUND,
        resolved_at=when,
    )
    return _event(data, "resolved")


def seller(kind: str) -> Expected:
    return (f"sla.{kind}", "seller")


def ops(kind: str) -> Expected:
    return (f"sla.{kind}", "ops")


def resolved(kind: str) -> Expected:
    return ("sla.resolved", kind)


def _data(events: list[CloudEvent[Any]], event_type: str) -> Any:
    return next(e.data for e in events if e.type == event_type)


# --- the rules --------------------------------------------------------------------------


def order_unconfirmed(order_id: str) -> Scenario:
    window = T0 + 30 * 60 * SECOND

    def check(events: list[CloudEvent[Any]]) -> None:
        assert _data(events, "sla.order_unconfirmed").placed_at == T0
        assert _data(events, "sla.resolved").reason == "order confirmed"

    return Scenario(
        "order_unconfirmed",
        order_id,
        (
            Step(T0, send=(placed(order_id),), expect=()),
            Step(window - SECOND, expect=()),
            Step(window, expect=(seller("order_unconfirmed"),)),
            Step(
                window + 10 * 60 * SECOND,
                send=(confirmed(order_id, window + 10 * 60 * SECOND),),
                expect=(seller("order_unconfirmed"), resolved("order_unconfirmed")),
            ),
        ),
        check,
    )


def ship_by_no_tracking_number(order_id: str) -> Scenario:
    """Confirmed without a placement event, never registered: missed, then escalated; the
    customer's promise passes at the same instant as the escalation."""

    def check(events: list[CloudEvent[Any]]) -> None:
        data = _data(events, "sla.ship_by_missed")
        assert (data.missing, data.deadline, data.tracking_number) == (
            "no_tracking_number",
            DEADLINE,
            None,
        )
        missed = [e.data.severity for e in events if e.type == "sla.ship_by_missed"]
        assert missed == ["seller", "ops"]
        assert _data(events, "sla.ship_promise_missed").promised_by == PROMISE

    return Scenario(
        "ship_by_no_tracking_number",
        order_id,
        (
            Step(T0, send=(confirmed(order_id),), expect=()),
            Step(DETECTION - SECOND, expect=()),
            Step(DETECTION, expect=(seller("ship_by_missed"),)),
            Step(DETECTION + ESCALATE_AFTER - SECOND, expect=(seller("ship_by_missed"),)),
            Step(
                DETECTION + ESCALATE_AFTER,
                expect=(
                    seller("ship_by_missed"),
                    ops("ship_by_missed"),
                    seller("ship_promise_missed"),
                ),
            ),
        ),
        check,
    )


def confirmed_at_ten_shipped_next_afternoon(order_id: str) -> Scenario:
    """The seller's deadline is missed, the customer's promise is kept: no promise breach."""
    missed = (seller("ship_by_missed"),)
    shipped = (*missed, resolved("ship_by_missed"))
    afternoon = at("2026-11-24T15:00:00-05:00")
    return Scenario(
        "confirmed_at_ten_shipped_next_afternoon",
        order_id,
        (
            Step(T0, send=(placed(order_id), confirmed(order_id), registered(order_id))),
            Step(DETECTION, expect=missed),
            Step(
                afternoon + HOUR,
                send=(scan(order_id, S.IN_TRANSIT, afternoon, "Picked up"),),
                expect=shipped,
            ),
            Step(PROMISE_DETECTION, expect=shipped),
        ),
    )


def payment_declined_order(order_id: str) -> Scenario:
    """Declined ten minutes after being placed: no reminder, no deadline, ever."""
    return Scenario(
        "payment_declined_order",
        order_id,
        (
            Step(T0, send=(placed(order_id),), expect=()),
            Step(T0 + 10 * 60 * SECOND, send=(payment_declined(order_id, T0 + 600 * SECOND),)),
            Step(T0 + 30 * 60 * SECOND, expect=()),
            Step(PROMISE_DETECTION, expect=()),
        ),
    )


def ship_by_never_scanned_then_shipped(order_id: str) -> Scenario:
    def check(events: list[CloudEvent[Any]]) -> None:
        data = _data(events, "sla.ship_by_missed")
        assert (data.missing, data.carrier, data.tracking_number) == (
            "never_scanned",
            "ups",
            PARCEL["tracking_number"],
        )
        assert _data(events, "sla.resolved").reason == "shipped"

    label = scan(order_id, S.LABEL_CREATED, T0 + HOUR, "Label created")
    moving = scan(order_id, S.IN_TRANSIT, DETECTION + HOUR, "Picked up")
    missed = (seller("ship_by_missed"),)
    return Scenario(
        "ship_by_never_scanned_then_shipped",
        order_id,
        (
            Step(T0, send=(placed(order_id), confirmed(order_id), registered(order_id))),
            Step(T0 + 2 * HOUR, send=(label,), expect=()),
            Step(DETECTION, expect=missed),
            Step(
                DETECTION + 2 * HOUR, send=(moving,), expect=(*missed, resolved("ship_by_missed"))
            ),
            Step(DETECTION + ESCALATE_AFTER, expect=(*missed, resolved("ship_by_missed"))),
        ),
        check,
    )


def ship_by_invalid_number_large_item(order_id: str) -> Scenario:
    """A large item ships a business day later; the only number is invalid."""

    def check(events: list[CloudEvent[Any]]) -> None:
        data = _data(events, "sla.ship_by_missed")
        assert (data.missing, data.deadline) == ("invalid_tracking_number", LARGE_DEADLINE)

    return Scenario(
        "ship_by_invalid_number_large_item",
        order_id,
        (
            Step(T0, send=(confirmed(order_id, large=True), registered(order_id))),
            Step(T0 + HOUR, send=(invalid_number(order_id, T0 + HOUR),), expect=()),
            Step(DETECTION, expect=()),
            Step(LARGE_DEADLINE + 2 * HOUR - SECOND, expect=()),
            Step(LARGE_DEADLINE + 2 * HOUR, expect=(seller("ship_by_missed"),)),
        ),
        check,
    )


def ship_by_scan_reported_late(order_id: str) -> Scenario:
    """A scan learned after the deadline counts at its own time: no breach."""
    return Scenario(
        "ship_by_scan_reported_late",
        order_id,
        (
            Step(T0, send=(confirmed(order_id), registered(order_id)), expect=()),
            Step(
                DEADLINE + HOUR,
                send=(scan(order_id, S.IN_TRANSIT, DEADLINE - HOUR),),
                expect=(),
            ),
            Step(DETECTION, expect=()),
            Step(DETECTION + ESCALATE_AFTER, expect=()),
        ),
    )


def tracking_before_the_order(order_id: str) -> Scenario:
    """Tracking (another topic) arrives before the order: kept, and counted once it comes."""
    return Scenario(
        "tracking_before_the_order",
        order_id,
        (
            Step(
                T0 - HOUR,
                send=(
                    scan(order_id, S.IN_TRANSIT, T0 - 2 * HOUR),
                    status_changed(order_id, S.IN_TRANSIT, T0 - 2 * HOUR),
                ),
                expect=(),
            ),
            Step(T0, send=(confirmed(order_id),), expect=()),
            Step(DETECTION, expect=()),
        ),
    )


def delivery_late(order_id: str) -> Scenario:
    def check(events: list[CloudEvent[Any]]) -> None:
        data = _data(events, "sla.delivery_late")
        assert (data.estimated_delivery, data.latest_status) == (date(2026, 11, 25), "in_transit")
        assert _data(events, "sla.resolved").reason == "delivered"

    late = (seller("delivery_late"),)
    return Scenario(
        "delivery_late",
        order_id,
        (
            Step(T0, send=(confirmed(order_id), registered(order_id))),
            Step(
                SHIPPED + HOUR,
                send=(
                    scan(order_id, S.IN_TRANSIT, SHIPPED),
                    status_changed(order_id, S.IN_TRANSIT, SHIPPED, estimated=date(2026, 11, 25)),
                ),
                expect=(),
            ),
            Step(LATE_AT - SECOND, expect=()),
            Step(LATE_AT, expect=late),
            Step(
                LATE_AT + 3 * HOUR,
                send=(scan(order_id, S.DELIVERED, LATE_AT + 2 * HOUR),),
                expect=(*late, resolved("delivery_late")),
            ),
        ),
        check,
    )


def tracking_stalled(order_id: str) -> Scenario:
    def check(events: list[CloudEvent[Any]]) -> None:
        assert _data(events, "sla.tracking_stalled").latest_scan_at == SHIPPED
        assert _data(events, "sla.resolved").reason == "new scan (in_transit)"

    stalled = (seller("tracking_stalled"),)
    return Scenario(
        "tracking_stalled",
        order_id,
        (
            Step(T0, send=(confirmed(order_id), registered(order_id))),
            Step(SHIPPED + HOUR, send=(scan(order_id, S.IN_TRANSIT, SHIPPED),), expect=()),
            Step(STALL_AT - SECOND, expect=()),
            Step(STALL_AT, expect=stalled),
            Step(
                STALL_AT + 2 * HOUR,
                send=(scan(order_id, S.IN_TRANSIT, STALL_AT + HOUR),),
                expect=(*stalled, resolved("tracking_stalled")),
            ),
        ),
        check,
    )


def carrier_exception(order_id: str) -> Scenario:
    raised_at = T0 + 20 * HOUR

    def check(events: list[CloudEvent[Any]]) -> None:
        data = _data(events, "sla.carrier_exception")
        assert (data.reason, data.latest_description) == ("damaged", "Package damaged")
        assert _data(events, "sla.resolved").reason == "carrier resumed (delivered)"

    both = (seller("carrier_exception"), ops("carrier_exception"))
    return Scenario(
        "carrier_exception",
        order_id,
        (
            Step(T0, send=(confirmed(order_id), registered(order_id))),
            Step(SHIPPED + HOUR, send=(scan(order_id, S.IN_TRANSIT, SHIPPED),), expect=()),
            Step(
                raised_at,
                send=(scan(order_id, S.EXCEPTION, raised_at - HOUR, "Package damaged"),),
                expect=(seller("carrier_exception"),),
            ),
            Step(raised_at + ESCALATE_AFTER - SECOND, expect=(seller("carrier_exception"),)),
            Step(raised_at + ESCALATE_AFTER, expect=both),
            Step(
                raised_at + ESCALATE_AFTER + HOUR,
                send=(scan(order_id, S.DELIVERED, raised_at + ESCALATE_AFTER),),
                expect=(*both, resolved("carrier_exception")),
            ),
        ),
        check,
    )


def _delivered(order_id: str) -> tuple[CloudEvent[Any], ...]:
    return (
        scan(order_id, S.DELIVERED, DELIVERED_AT, "Delivered, front door"),
        status_changed(
            order_id,
            S.DELIVERED,
            DELIVERED_AT,
            estimated=date(2026, 11, 25),
            delivered_at=DELIVERED_AT,
        ),
    )


def delivered_disputed(order_id: str) -> Scenario:
    def check(events: list[CloudEvent[Any]]) -> None:
        data = _data(events, "sla.delivered_disputed")
        assert (data.documents_due, data.expected_delivery, data.delivered_at) == (
            DOCUMENTS_DUE,
            date(2026, 11, 25),
            DELIVERED_AT,
        )
        assert _data(events, "sla.dispute_documents_due").missing_documents == ["non_receipt_form"]
        assert _data(events, "sla.dispute_documents_overdue").documents_due == DOCUMENTS_DUE
        assert [e.data.reason for e in events if e.type == "sla.resolved"] == [
            "documents received",
            "documents received",
            "dispute resolved: refund",
        ]

    announced = (seller("delivered"),)
    opened = (*announced, seller("delivered_disputed"))
    reminded = (*opened, seller("dispute_documents_due"))
    overdue = (*reminded, seller("dispute_documents_overdue"))
    received = (
        *overdue,
        resolved("dispute_documents_due"),
        resolved("dispute_documents_overdue"),
        seller("dispute_documents_received"),
    )
    return Scenario(
        "delivered_disputed",
        order_id,
        (
            Step(T0, send=(confirmed(order_id), registered(order_id))),
            Step(SHIPPED + HOUR, send=(scan(order_id, S.IN_TRANSIT, SHIPPED),), expect=()),
            Step(DELIVERED_AT + HOUR, send=_delivered(order_id), expect=announced),
            Step(REPORTED, send=(disputed(order_id),), expect=opened),
            Step(
                REMINDER - HOUR,
                send=(documents(order_id, DisputeDocument.PHOTO_ID, REMINDER - HOUR),),
                expect=opened,
            ),
            Step(REMINDER, expect=reminded),
            Step(DOCUMENTS_DUE, expect=reminded),
            Step(OVERDUE, expect=overdue),
            Step(
                OVERDUE + HOUR,
                send=(documents(order_id, DisputeDocument.NON_RECEIPT_FORM, OVERDUE + HOUR),),
                expect=received,
            ),
            Step(
                OVERDUE + 2 * HOUR,
                send=(dispute_resolved(order_id, OVERDUE + 2 * HOUR),),
                expect=(*received, resolved("delivered_disputed")),
            ),
        ),
        check,
    )


def dispute_reported_late(order_id: str) -> Scenario:
    """Reported two days after the window: a late report (no reminder, nothing overdue in the
    same breath); overdue one business day later, and nothing closes until the resolution."""
    reported = at("2026-12-03T10:00:00-05:00")  # Thursday
    overdue_at = at("2026-12-05T00:00:00-05:00")  # one second after Friday's end

    def check(events: list[CloudEvent[Any]]) -> None:
        data = _data(events, "sla.delivered_disputed")
        assert (data.late_report, data.documents_due) == (True, DOCUMENTS_DUE)

    announced = (seller("delivered"),)
    opened = (*announced, seller("delivered_disputed"))
    overdue = (*opened, seller("dispute_documents_overdue"))
    escalated = (*overdue, ops("dispute_documents_overdue"))
    return Scenario(
        "dispute_reported_late",
        order_id,
        (
            Step(T0, send=(confirmed(order_id), registered(order_id))),
            Step(SHIPPED + HOUR, send=(scan(order_id, S.IN_TRANSIT, SHIPPED),), expect=()),
            Step(DELIVERED_AT + HOUR, send=_delivered(order_id), expect=announced),
            Step(reported, send=(disputed(order_id, reported),), expect=opened),
            Step(overdue_at - SECOND, expect=opened),
            Step(overdue_at, expect=overdue),
            Step(overdue_at + ESCALATE_AFTER, expect=escalated),
            Step(
                overdue_at + ESCALATE_AFTER + HOUR,
                send=(dispute_resolved(order_id, overdue_at + ESCALATE_AFTER + HOUR),),
                expect=(
                    *escalated,
                    resolved("delivered_disputed"),
                    resolved("dispute_documents_overdue"),
                ),
            ),
        ),
        check,
    )


def dispute_before_delivery(order_id: str) -> Scenario:
    """A dispute on a parcel not (yet) delivered is not delivered-but-disputed; once the
    carrier says delivered (the tracking topic lagging behind), it is."""
    return Scenario(
        "dispute_before_delivery",
        order_id,
        (
            Step(T0, send=(confirmed(order_id), registered(order_id))),
            Step(SHIPPED + HOUR, send=(scan(order_id, S.IN_TRANSIT, SHIPPED),), expect=()),
            Step(REPORTED, send=(disputed(order_id),), expect=()),
            Step(
                REPORTED + HOUR,
                send=_delivered(order_id),
                expect=(seller("delivered_disputed"),),
            ),
        ),
    )


def cancelled_order(order_id: str) -> Scenario:
    def check(events: list[CloudEvent[Any]]) -> None:
        assert _data(events, "sla.resolved").reason == "order cancelled"

    missed = (seller("ship_by_missed"),)
    return Scenario(
        "cancelled_order",
        order_id,
        (
            Step(T0, send=(placed(order_id), confirmed(order_id)), expect=()),
            Step(DETECTION, expect=missed),
            Step(
                DETECTION + HOUR,
                send=(cancelled(order_id, DETECTION + HOUR),),
                expect=(*missed, resolved("ship_by_missed")),
            ),
            Step(DETECTION + ESCALATE_AFTER, expect=(*missed, resolved("ship_by_missed"))),
        ),
        check,
    )


def never_backwards(order_id: str) -> Scenario:
    """Neither an older scan learned after the delivery nor a stray in-transit scan after it
    moves the parcel back: it stays delivered, never late, never stalled."""
    return Scenario(
        "never_backwards",
        order_id,
        (
            Step(T0, send=(confirmed(order_id), registered(order_id))),
            Step(
                SHIPPED + HOUR,
                send=(
                    scan(order_id, S.IN_TRANSIT, SHIPPED),
                    status_changed(order_id, S.IN_TRANSIT, SHIPPED, estimated=date(2026, 11, 25)),
                ),
                expect=(),
            ),
            Step(DELIVERED_AT + HOUR, send=(scan(order_id, S.DELIVERED, DELIVERED_AT),)),
            Step(
                DELIVERED_AT + 2 * HOUR,
                send=(
                    scan(order_id, S.IN_TRANSIT, DELIVERED_AT - 3 * HOUR),
                    scan(order_id, S.IN_TRANSIT, DELIVERED_AT + HOUR // 2, "Arrived at facility"),
                ),
                expect=(),
            ),
            Step(LATE_AT, expect=()),
            Step(STALL_AT, expect=()),
        ),
    )


ALL: tuple[Callable[[str], Scenario], ...] = (
    order_unconfirmed,
    ship_by_no_tracking_number,
    confirmed_at_ten_shipped_next_afternoon,
    payment_declined_order,
    ship_by_never_scanned_then_shipped,
    ship_by_invalid_number_large_item,
    ship_by_scan_reported_late,
    tracking_before_the_order,
    delivery_late,
    tracking_stalled,
    carrier_exception,
    delivered_disputed,
    dispute_reported_late,
    dispute_before_delivery,
    cancelled_order,
    never_backwards,
)
