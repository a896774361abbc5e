"""The rules applied to an order's facts: which SLA events are due, and when to look again."""

from dataclasses import fields, replace
from datetime import date, datetime, timedelta

import pytest

from services.sla.assessment import (
    Assessment,
    Breach,
    DisputeFacts,
    OrderDetails,
    OrderFacts,
    OrderState,
    ShipmentFacts,
    assess,
    breach_event_id,
    exception_reason,
    resolved_event_id,
)
from services.sla.calendar import BusinessCalendar
from services.sla.marketplace import Calendars
from services.sla.rules import SlaRules
from shared.contracts.events import (
    DisputeDocument,
    DisputeResolution,
    ExceptionReason,
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
)
from shared.contracts.statuses import TrackingStatus as S

K = SlaKind
RULES = SlaRules()
CALENDARS = Calendars()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Monday 2026-11-23, 10:00 in New York: ships by Monday 23:59:59 (04:59:59Z Tuesday).
CONFIRMED = at("2026-11-23T10:00:00-05:00")
DEADLINE = at("2026-11-23T23:59:59-05:00")
DETECTION = DEADLINE + timedelta(hours=2)
DETAILS = OrderDetails(
    seller_id="s-1",
    seller_country="US",
    seller_subdivision="NY",
    seller_time_zone="America/New_York",
    customer_time_zone="America/Chicago",
    marketplace="us",
    large=False,
    placed_at=CONFIRMED - timedelta(minutes=5),
)
ORDER = OrderFacts(order_id="o-1", details=DETAILS, confirmed_at=CONFIRMED)


def parcel(**changes: object) -> ShipmentFacts:
    base = ShipmentFacts(
        shipment_id="sh-1",
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        first_seen_at=at("2026-11-23T12:00:00-05:00"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


IN_TRANSIT = parcel(
    status=S.IN_TRANSIT,
    status_since=at("2026-11-23T18:00:00-05:00"),
    status_description="Departed from facility",
    last_scan_at=at("2026-11-24T09:00:00-05:00"),
    shipped_at=at("2026-11-23T18:00:00-05:00"),
)


def run(facts: OrderFacts, now: datetime, rules: SlaRules = RULES) -> Assessment:
    result = assess(facts, now=now, rules=rules, calendar_of=_calendar)
    for timer in fields(result.timers):
        due = getattr(result.timers, timer.name)
        assert due is None or due > now, f"{timer.name} {due} is not after {now}"
    return result


def _calendar(details: OrderDetails) -> BusinessCalendar:
    return CALENDARS.for_seller(
        details.seller_country, details.seller_subdivision, details.marketplace
    )


def kinds(result: Assessment) -> list[tuple[str, Severity | None]]:
    return [(e.data.event_type, e.severity) for e in result.emissions]


def raised(result: Assessment, facts: OrderFacts) -> OrderFacts:
    """``facts`` with the breach records ``result`` wrote."""
    return replace(facts, breaches={**facts.breaches, **{b.kind: b for b in result.breaches}})


def test_assess_waits_for_the_order_details_when_only_tracking_is_known() -> None:
    facts = OrderFacts(order_id="o-1", shipments=(IN_TRANSIT,))
    assert run(facts, DETECTION) == Assessment(OrderState.PENDING)


# --- order unconfirmed -----------------------------------------------------------------


def test_assess_sets_confirmation_timer_when_order_is_placed() -> None:
    placed = replace(ORDER, confirmed_at=None)
    result = run(placed, DETAILS.placed_at)
    assert result.timers.confirmation_due_at == DETAILS.placed_at + timedelta(minutes=30)
    assert result.emissions == ()
    assert result.state is OrderState.UNCONFIRMED


def test_assess_emits_order_unconfirmed_after_thirty_minutes() -> None:
    placed = replace(ORDER, confirmed_at=None)
    result = run(placed, DETAILS.placed_at + timedelta(minutes=30))
    assert kinds(result) == [("sla.order_unconfirmed", Severity.SELLER)]
    event = result.emissions[0]
    assert event.event_id == breach_event_id("o-1", K.ORDER_UNCONFIRMED, Severity.SELLER)
    assert isinstance(event.data, SlaOrderUnconfirmed)
    assert event.data.placed_at == DETAILS.placed_at
    assert result.timers.escalation_due_at is None  # a reminder does not escalate


def test_assess_resolves_order_unconfirmed_when_confirmation_arrives() -> None:
    placed = replace(ORDER, confirmed_at=None)
    breached = raised(run(placed, DETAILS.placed_at + timedelta(hours=1)), placed)
    result = run(replace(breached, confirmed_at=CONFIRMED), DETAILS.placed_at + timedelta(hours=2))
    assert kinds(result) == [("sla.resolved", None)]
    resolved = result.emissions[0]
    assert resolved.event_id == resolved_event_id("o-1", K.ORDER_UNCONFIRMED)
    assert isinstance(resolved.data, SlaResolved)
    assert (resolved.data.resolved_kind, resolved.data.reason) == (
        K.ORDER_UNCONFIRMED,
        "order confirmed",
    )


# --- ship-by ---------------------------------------------------------------------------


def test_assess_sets_ship_by_timer_at_deadline_plus_detection_grace() -> None:
    result = run(ORDER, CONFIRMED)
    assert result.ship_by_deadline == DEADLINE
    assert result.timers.ship_by_due_at == DETECTION
    assert result.state is OrderState.AWAITING_SHIPMENT


def test_assess_keeps_quiet_until_the_detection_grace_has_passed() -> None:
    assert run(ORDER, DETECTION - timedelta(seconds=1)).emissions == ()


@pytest.mark.parametrize(
    ("shipments", "missing", "tracking_number"),
    [
        ((), MissingShipment.NO_TRACKING_NUMBER, None),
        ((parcel(),), MissingShipment.NEVER_SCANNED, "1Z999AA10123456784"),
        ((parcel(status=S.LABEL_CREATED),), MissingShipment.NEVER_SCANNED, "1Z999AA10123456784"),
        (
            (parcel(invalid_reason="check_digit", tracking_number="1Z9"),),
            MissingShipment.INVALID_TRACKING_NUMBER,
            "1Z9",
        ),
    ],
)
def test_assess_emits_ship_by_missed_naming_what_is_missing(
    shipments: tuple[ShipmentFacts, ...], missing: MissingShipment, tracking_number: str | None
) -> None:
    result = run(replace(ORDER, shipments=shipments), DETECTION)
    assert kinds(result) == [("sla.ship_by_missed", Severity.SELLER)]
    data = result.emissions[0].data
    assert isinstance(data, SlaShipByMissed)
    assert (data.missing, data.tracking_number, data.deadline) == (
        missing,
        tracking_number,
        DEADLINE,
    )
    assert result.timers.escalation_due_at == DETECTION + RULES.escalate_after


def test_assess_names_the_valid_number_when_an_invalid_one_was_replaced() -> None:
    invalid = parcel(shipment_id="sh-0", invalid_reason="format", tracking_number="BAD")
    newer = parcel(first_seen_at=at("2026-11-23T15:00:00-05:00"))
    data = run(replace(ORDER, shipments=(invalid, newer)), DETECTION).emissions[0].data
    assert isinstance(data, SlaShipByMissed)
    assert (data.missing, data.tracking_number) == (
        MissingShipment.NEVER_SCANNED,
        newer.tracking_number,
    )


def test_assess_counts_a_large_item_order_from_the_next_business_day() -> None:
    large = replace(ORDER, details=replace(DETAILS, large=True))
    assert run(large, CONFIRMED).ship_by_deadline == DEADLINE + timedelta(days=1)


def test_assess_never_breaches_ship_by_when_shipped_by_the_deadline() -> None:
    result = run(replace(ORDER, shipments=(IN_TRANSIT,)), DETECTION)
    assert result.emissions == ()
    assert result.timers.ship_by_due_at is None


def test_assess_counts_a_scan_at_its_scan_time_when_reported_late() -> None:
    on_time = replace(IN_TRANSIT, shipped_at=DEADLINE, last_scan_at=DEADLINE)
    assert run(replace(ORDER, shipments=(on_time,)), DETECTION + timedelta(hours=1)).emissions == ()


def test_assess_breaches_and_resolves_at_once_when_shipped_after_the_deadline() -> None:
    late = replace(IN_TRANSIT, shipped_at=DEADLINE + timedelta(seconds=1))
    result = run(replace(ORDER, shipments=(late,)), DETECTION)
    assert kinds(result) == [("sla.ship_by_missed", Severity.SELLER), ("sla.resolved", None)]
    resolved = result.emissions[1].data
    assert isinstance(resolved, SlaResolved)
    assert resolved.reason == "shipped"


def test_assess_resolves_ship_by_missed_when_the_parcel_ships() -> None:
    breached = raised(run(ORDER, DETECTION), ORDER)
    shipped = replace(breached, shipments=(replace(IN_TRANSIT, shipped_at=DETECTION),))
    result = run(shipped, DETECTION + timedelta(hours=1))
    assert kinds(result) == [("sla.resolved", None)]
    assert result.timers.escalation_due_at is None


def test_assess_says_when_a_resolving_scan_had_shipped_in_time() -> None:
    breached = raised(run(ORDER, DETECTION), ORDER)
    result = run(replace(breached, shipments=(IN_TRANSIT,)), DETECTION + timedelta(hours=1))
    data = result.emissions[0].data
    assert isinstance(data, SlaResolved)
    assert data.reason == "shipped before the deadline; the scan was reported late"


def test_assess_escalates_an_open_breach_to_ops_after_escalate_after() -> None:
    breached = raised(run(ORDER, DETECTION), ORDER)
    # the customer's promise (Tuesday's end) passes at the same moment: keep it out
    promise = Breach(K.SHIP_PROMISE_MISSED, Severity.SELLER, DETECTION)
    breached = replace(breached, breaches={**breached.breaches, K.SHIP_PROMISE_MISSED: promise})
    escalation_at = DETECTION + RULES.escalate_after
    assert run(breached, escalation_at - timedelta(seconds=1)).emissions == ()
    result = run(breached, escalation_at)
    assert kinds(result) == [("sla.ship_by_missed", Severity.OPS)]
    assert result.emissions[0].event_id == breach_event_id("o-1", K.SHIP_BY_MISSED, Severity.OPS)
    assert result.breaches == (
        Breach(K.SHIP_BY_MISSED, Severity.OPS, escalation_at, resolved_at=None),
    )
    assert result.timers.escalation_due_at is None
    assert run(raised(result, breached), escalation_at + timedelta(days=5)).emissions == ()


def test_assess_emits_nothing_again_for_a_breach_already_raised() -> None:
    breached = raised(run(ORDER, DETECTION), ORDER)
    assert run(breached, DETECTION + timedelta(minutes=1)).emissions == ()


# --- carrier exception ------------------------------------------------------------------


def test_assess_emits_carrier_exception_at_once() -> None:
    damaged = replace(IN_TRANSIT, status=S.EXCEPTION, status_description="Package damaged")
    result = run(replace(ORDER, shipments=(damaged,)), CONFIRMED + timedelta(hours=12))
    assert kinds(result) == [("sla.carrier_exception", Severity.SELLER)]
    data = result.emissions[0].data
    assert isinstance(data, SlaCarrierException)
    assert (data.reason, data.latest_status, data.shipment_id) == (
        ExceptionReason.DAMAGED,
        S.EXCEPTION,
        "sh-1",
    )


def test_assess_resolves_carrier_exception_when_the_parcel_moves_again() -> None:
    held = replace(ORDER, shipments=(replace(IN_TRANSIT, status=S.EXCEPTION),))
    breached = raised(run(held, CONFIRMED + timedelta(hours=12)), held)
    moving = replace(breached, shipments=(IN_TRANSIT,))
    data = run(moving, CONFIRMED + timedelta(hours=13)).emissions[0].data
    assert isinstance(data, SlaResolved)
    assert data.reason == "carrier resumed (in_transit)"


@pytest.mark.parametrize(
    ("status", "text", "reason"),
    [
        (S.RETURNED_TO_SENDER, "Returned", ExceptionReason.RETURNED_TO_SENDER),
        (S.EXCEPTION, "Returning package to shipper", ExceptionReason.RETURNED_TO_SENDER),
        (S.EXCEPTION, "Package lost in transit", ExceptionReason.LOST),
        (S.EXCEPTION, "Shipment cannot be located", ExceptionReason.LOST),
        (S.EXCEPTION, "DAMAGED - contents being repackaged", ExceptionReason.DAMAGED),
        (S.EXCEPTION, "Weather delay", ExceptionReason.OTHER),
        (S.EXCEPTION, None, ExceptionReason.OTHER),
    ],
)
def test_exception_reason_reads_status_and_carrier_text(
    status: S, text: str | None, reason: ExceptionReason
) -> None:
    assert exception_reason(status, text) is reason


# --- delivery late ----------------------------------------------------------------------

ESTIMATED = replace(IN_TRANSIT, estimated_delivery=date(2026, 11, 25))
# End of Wednesday in the customer's zone (Chicago), plus the two-hour grace.
LATE_AT = at("2026-11-25T23:59:59-06:00") + timedelta(hours=2)


def test_assess_sets_delivery_timer_from_the_estimate_in_the_customer_zone() -> None:
    result = run(replace(ORDER, shipments=(ESTIMATED,)), DETECTION)
    assert result.timers.delivery_due_at == LATE_AT


def test_assess_emits_delivery_late_when_not_delivered_by_the_estimate() -> None:
    result = run(replace(ORDER, shipments=(ESTIMATED,)), LATE_AT)
    assert ("sla.delivery_late", Severity.SELLER) in kinds(result)
    data = next(e.data for e in result.emissions if isinstance(e.data, SlaDeliveryLate))
    assert data.estimated_delivery == date(2026, 11, 25)


def test_assess_never_calls_a_delivered_parcel_late() -> None:
    delivered = replace(ESTIMATED, status=S.DELIVERED)
    result = run(replace(ORDER, shipments=(delivered,)), LATE_AT)
    assert "sla.delivery_late" not in [k for k, _ in kinds(result)]
    assert result.timers.delivery_due_at is None


def test_assess_resolves_delivery_late_on_delivery() -> None:
    facts = replace(ORDER, shipments=(ESTIMATED,))
    breached = raised(run(facts, LATE_AT), facts)
    delivered = replace(breached, shipments=(replace(ESTIMATED, status=S.DELIVERED),))
    result = run(delivered, LATE_AT + timedelta(hours=1))
    assert [(e.data.resolved_kind, e.data.reason) for e in result.emissions] == [  # type: ignore[attr-defined]
        (K.DELIVERY_LATE, "delivered")
    ]


# --- stalled ----------------------------------------------------------------------------

# Last scan Tuesday 24th; Thursday 26th is Thanksgiving: three business days end Monday 30th.
STALL_AT = at("2026-11-30T23:59:59-05:00")


def test_assess_sets_stall_timer_three_business_days_after_the_last_scan() -> None:
    result = run(replace(ORDER, shipments=(IN_TRANSIT,)), DETECTION)
    assert result.timers.stall_due_at == STALL_AT


def test_assess_emits_tracking_stalled_and_resolves_it_on_a_new_scan() -> None:
    facts = replace(ORDER, shipments=(IN_TRANSIT,))
    first = run(facts, STALL_AT)
    assert kinds(first) == [("sla.tracking_stalled", Severity.SELLER)]
    assert isinstance(first.emissions[0].data, SlaTrackingStalled)
    rescanned = replace(
        raised(first, facts), shipments=(replace(IN_TRANSIT, last_scan_at=STALL_AT),)
    )
    data = run(rescanned, STALL_AT + timedelta(hours=1)).emissions[0].data
    assert isinstance(data, SlaResolved)
    assert (data.resolved_kind, data.reason) == (K.TRACKING_STALLED, "new scan (in_transit)")


def test_assess_never_goes_back_before_a_verdict_already_made() -> None:
    """A watermark earlier than the sweep that raised the breach (the consumers fell
    behind since) must not clear it: the order is judged as of the breach, at least."""
    facts = replace(ORDER, shipments=(IN_TRANSIT,))
    stalled = raised(run(facts, STALL_AT), facts)
    assert run(stalled, STALL_AT - timedelta(days=2)).emissions == ()


def test_assess_does_not_watch_a_parcel_waiting_at_a_pickup_point() -> None:
    waiting = replace(IN_TRANSIT, status=S.AVAILABLE_FOR_PICKUP)
    result = run(replace(ORDER, shipments=(waiting,)), STALL_AT + timedelta(days=10))
    assert result.emissions == ()
    assert result.timers.stall_due_at is None


# --- delivered but disputed -------------------------------------------------------------

DELIVERED = replace(
    IN_TRANSIT,
    status=S.DELIVERED,
    status_since=at("2026-11-25T14:00:00-06:00"),
    last_scan_at=at("2026-11-25T14:00:00-06:00"),
    estimated_delivery=date(2026, 11, 25),
)
DISPUTE = DisputeFacts(case_id="case-1", shipment_id="sh-1", reported_at=at("2026-11-25T20:00Z"))
# Three business days after Wednesday 25th (Thanksgiving on the 26th): Tuesday 1 December.
DOCUMENTS_DUE = at("2026-12-01T23:59:59-05:00")
REMINDER = at("2026-11-30T00:00:00-05:00")
DISPUTED = replace(ORDER, shipments=(DELIVERED,), disputes=(DISPUTE,))
REPORTED = at("2026-11-25T20:00:00Z")


def test_assess_emits_delivered_disputed_with_the_documents_deadline() -> None:
    result = run(DISPUTED, REPORTED)
    assert kinds(result) == [("sla.delivered_disputed", Severity.SELLER)]
    data = result.emissions[0].data
    assert isinstance(data, SlaDeliveredDisputed)
    assert (data.documents_due, data.expected_delivery, data.case_id) == (
        DOCUMENTS_DUE,
        date(2026, 11, 25),
        "case-1",
    )
    assert data.delivered_at == DELIVERED.status_since
    assert result.timers.documents_reminder_at == REMINDER
    assert result.timers.documents_overdue_at == DOCUMENTS_DUE + timedelta(seconds=1)
    assert result.state is OrderState.DISPUTED
    assert [(d.case_id, d.deadline) for d in result.dispute_deadlines] == [
        ("case-1", DOCUMENTS_DUE)
    ]


def test_assess_uses_the_delivery_date_when_the_carrier_gave_no_estimate() -> None:
    no_estimate = replace(DELIVERED, estimated_delivery=None, delivered_at=at("2026-11-27T15:00Z"))
    data = run(replace(DISPUTED, shipments=(no_estimate,)), REPORTED).emissions[0].data
    assert isinstance(data, SlaDeliveredDisputed)
    assert data.expected_delivery == date(2026, 11, 27)
    assert data.documents_due == at("2026-12-02T23:59:59-05:00")


def test_assess_ignores_a_dispute_on_a_parcel_not_delivered() -> None:
    facts = replace(DISPUTED, shipments=(IN_TRANSIT,))
    result = run(facts, REPORTED)
    assert "sla.delivered_disputed" not in [k for k, _ in kinds(result)]
    assert result.timers.documents_reminder_at is None


def _accepted() -> OrderFacts:
    first = run(DISPUTED, REPORTED)
    (deadline,) = first.dispute_deadlines
    dispute = replace(
        DISPUTE, expected_delivery=deadline.expected_delivery, documents_deadline=deadline.deadline
    )
    return replace(raised(first, DISPUTED), disputes=(dispute,))


def test_assess_reminds_of_missing_documents_a_business_day_before_the_deadline() -> None:
    accepted = _accepted()
    one_sent = replace(
        accepted,
        disputes=(replace(accepted.disputes[0], documents=frozenset({DisputeDocument.PHOTO_ID})),),
    )
    result = run(one_sent, REMINDER)
    assert kinds(result) == [("sla.dispute_documents_due", Severity.SELLER)]
    data = result.emissions[0].data
    assert isinstance(data, SlaDisputeDocumentsDue)
    assert data.missing_documents == [DisputeDocument.NON_RECEIPT_FORM]


def test_assess_emits_documents_overdue_after_the_deadline_and_escalates_it() -> None:
    accepted = raised(run(_accepted(), REMINDER), _accepted())
    overdue_at = DOCUMENTS_DUE + timedelta(seconds=1)
    assert run(accepted, DOCUMENTS_DUE).emissions == ()
    result = run(accepted, overdue_at)
    assert kinds(result) == [("sla.dispute_documents_overdue", Severity.SELLER)]
    assert isinstance(result.emissions[0].data, SlaDisputeDocumentsOverdue)
    assert result.timers.escalation_due_at == overdue_at + RULES.escalate_after


def test_assess_skips_the_reminder_when_already_past_the_deadline() -> None:
    result = run(_accepted(), DOCUMENTS_DUE + timedelta(days=1))
    assert kinds(result) == [("sla.dispute_documents_overdue", Severity.SELLER)]


def test_assess_resolves_documents_due_and_overdue_when_documents_arrive() -> None:
    facts = _accepted()
    facts = raised(run(facts, REMINDER), facts)
    facts = raised(run(facts, DOCUMENTS_DUE + timedelta(days=1)), facts)
    assert set(facts.breaches) >= {K.DISPUTE_DOCUMENTS_DUE, K.DISPUTE_DOCUMENTS_OVERDUE}
    complete = replace(facts.disputes[0], documents=frozenset(DisputeDocument))
    result = run(replace(facts, disputes=(complete,)), DOCUMENTS_DUE + timedelta(days=2))
    resolutions = [e.data for e in result.emissions if isinstance(e.data, SlaResolved)]
    assert [(r.resolved_kind, r.reason) for r in resolutions] == [
        (K.DISPUTE_DOCUMENTS_DUE, "documents received"),
        (K.DISPUTE_DOCUMENTS_OVERDUE, "documents received"),
    ]
    assert result.timers.escalation_due_at is None


def test_assess_resolves_the_dispute_and_its_reminders_when_it_is_resolved() -> None:
    accepted = raised(run(_accepted(), REMINDER), _accepted())
    done = replace(accepted.disputes[0], resolution=DisputeResolution.REFUND)
    result = run(replace(accepted, disputes=(done,)), REMINDER + timedelta(hours=1))
    assert sorted((e.kind, e.data.reason) for e in result.emissions) == [  # type: ignore[attr-defined]
        (K.DELIVERED_DISPUTED, "dispute resolved: refund"),
        (K.DISPUTE_DOCUMENTS_DUE, "dispute resolved: refund"),
    ]
    assert result.timers.documents_overdue_at is None


# --- cancellation and state -------------------------------------------------------------


def test_assess_resolves_every_open_breach_and_stops_watching_when_cancelled() -> None:
    breached = raised(run(ORDER, DETECTION), ORDER)
    cancelled = replace(breached, cancelled_at=DETECTION + timedelta(minutes=5))
    result = run(cancelled, DETECTION + timedelta(minutes=5))
    assert [(e.kind, e.data.reason) for e in result.emissions] == [  # type: ignore[attr-defined]
        (K.SHIP_BY_MISSED, "order cancelled")
    ]
    assert result.state is OrderState.CANCELLED
    assert result.timers == type(result.timers)()


@pytest.mark.parametrize(
    ("shipments", "state"),
    [
        ((IN_TRANSIT,), OrderState.IN_TRANSIT),
        ((DELIVERED,), OrderState.DELIVERED),
        ((DELIVERED, replace(IN_TRANSIT, shipment_id="sh-2")), OrderState.IN_TRANSIT),
        ((replace(IN_TRANSIT, status=S.RETURNED_TO_SENDER),), OrderState.RETURNED),
        ((parcel(status=S.LABEL_CREATED),), OrderState.AWAITING_SHIPMENT),
    ],
)
def test_assess_derives_the_order_state_from_its_shipments(
    shipments: tuple[ShipmentFacts, ...], state: OrderState
) -> None:
    assert run(replace(ORDER, shipments=shipments), CONFIRMED).state is state
