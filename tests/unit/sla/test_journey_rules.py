"""The customer journey's SLA rules (issue 13): the customer's ship-by promise, declined
payments, the delivery notice and its documents window, late dispute reports, and the
documents-received notice. Expected instants are worked out from the rules by hand."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.sla.assessment import (
    DeliveryWindow,
    OrderFacts,
    OrderState,
    notice_event_id,
)
from services.sla.calendar import BusinessCalendar
from services.sla.deadlines import customer_ship_promise, ship_by_deadline
from shared.contracts.events import (
    DisputeDocument,
    Severity,
    SlaDelivered,
    SlaDeliveredDisputed,
    SlaDisputeDocumentsReceived,
    SlaKind,
    SlaResolved,
    SlaShipPromiseMissed,
)
from shared.contracts.statuses import TrackingStatus as S
from tests.unit.sla.test_assessment import (
    DELIVERED,
    DETAILS,
    DETECTION,
    DISPUTE,
    DOCUMENTS_DUE,
    IN_TRANSIT,
    ORDER,
    RULES,
    at,
    kinds,
    raised,
    run,
)

K = SlaKind
NEW_YORK = ZoneInfo("America/New_York")
CALENDAR = BusinessCalendar("US", "NY")
# Confirmed Monday 10:00: the customer was told to allow until Tuesday's end.
PROMISE = at("2026-11-24T23:59:59-05:00")
PROMISE_DETECTION = PROMISE + RULES.ship_detection_grace


# --- the customer's promise -------------------------------------------------------------


def test_the_customer_promise_is_never_before_the_seller_deadline() -> None:
    start = at("2026-11-20T00:00:00-05:00")  # a fortnight with a weekend and Thanksgiving
    for hour in range(0, 14 * 24, 1):
        confirmed = start + timedelta(hours=hour)
        for large in (False, True):
            seller = ship_by_deadline(
                confirmed, large=large, calendar=CALENDAR, zone=NEW_YORK, rules=RULES
            )
            customer = customer_ship_promise(
                confirmed, large=large, calendar=CALENDAR, zone=NEW_YORK, rules=RULES
            )
            assert customer >= seller, confirmed
            assert customer.astimezone(NEW_YORK).time().isoformat() == "23:59:59"
            assert CALENDAR.is_business_day(customer.astimezone(NEW_YORK).date())


def test_confirmed_at_ten_and_shipped_next_afternoon_breaches_only_the_seller_deadline() -> None:
    at_detection = run(ORDER, DETECTION)
    assert kinds(at_detection) == [("sla.ship_by_missed", Severity.SELLER)]
    assert at_detection.ship_promise == PROMISE
    assert at_detection.timers.ship_promise_due_at == PROMISE_DETECTION
    shipped = replace(
        raised(at_detection, ORDER),
        shipments=(replace(IN_TRANSIT, shipped_at=at("2026-11-24T15:00:00-05:00")),),
    )
    result = run(shipped, at("2026-11-24T15:05:00-05:00"))
    assert [(e.kind, e.data.reason) for e in result.emissions] == [  # type: ignore[attr-defined]
        (K.SHIP_BY_MISSED, "shipped")
    ]
    assert result.timers.ship_promise_due_at is None


def test_the_promise_missed_tells_when_it_was_and_clears_when_shipped() -> None:
    facts = raised(run(ORDER, DETECTION), ORDER)
    assert run(facts, PROMISE_DETECTION - timedelta(seconds=1)).emissions == ()
    result = run(facts, PROMISE_DETECTION)
    # (the seller's breach goes to ops at this very moment, 24 hours after it was raised)
    assert ("sla.ship_promise_missed", Severity.SELLER) in kinds(result)
    [data] = [e.data for e in result.emissions if isinstance(e.data, SlaShipPromiseMissed)]
    assert (data.promised_by, data.large) == (PROMISE, False)
    assert result.timers.escalation_due_at is None  # the promise does not escalate
    later = replace(raised(result, facts), shipments=(IN_TRANSIT,))
    cleared = run(later, PROMISE_DETECTION + timedelta(hours=5))
    resolved = {e.data.resolved_kind for e in cleared.emissions if isinstance(e.data, SlaResolved)}
    assert resolved == {K.SHIP_BY_MISSED, K.SHIP_PROMISE_MISSED}


# --- payment declined -------------------------------------------------------------------


def test_a_declined_payment_stops_every_timer_and_sends_no_pending_reminder() -> None:
    placed = replace(ORDER, confirmed_at=None)
    declined = replace(placed, payment_declined_at=DETAILS.placed_at + timedelta(minutes=10))
    result = run(declined, DETAILS.placed_at + timedelta(hours=3))
    assert result.emissions == ()
    assert result.timers == type(result.timers)()
    assert result.state is OrderState.DECLINED


def test_a_payment_declined_after_the_reminder_resolves_it() -> None:
    placed = replace(ORDER, confirmed_at=None)
    reminded = raised(run(placed, DETAILS.placed_at + timedelta(minutes=30)), placed)
    declined = replace(reminded, payment_declined_at=DETAILS.placed_at + timedelta(minutes=40))
    result = run(declined, DETAILS.placed_at + timedelta(minutes=40))
    assert [(e.kind, e.data.reason) for e in result.emissions] == [  # type: ignore[attr-defined]
        (K.ORDER_UNCONFIRMED, "payment declined")
    ]


# --- delivered: the notice and its documents window -------------------------------------

REPORTED_DELIVERY = replace(
    DELIVERED, delivery_reported=True, signed_by="J RIVERA", status_description="Left at door"
)
DELIVERED_ORDER = replace(ORDER, shipments=(REPORTED_DELIVERY,))


def test_the_delivery_notice_fixes_the_documents_window_once() -> None:
    result = run(DELIVERED_ORDER, at("2026-11-25T14:01:00-06:00"))
    assert kinds(result) == [("sla.delivered", None)]
    emission = result.emissions[0]
    assert emission.event_id == notice_event_id("o-1", K.DELIVERED, "sh-1")
    data = emission.data
    assert isinstance(data, SlaDelivered)
    assert (data.delivered_at, data.signed_by, data.delivery_description) == (
        REPORTED_DELIVERY.status_since,
        "J RIVERA",
        "Left at door",
    )
    # three business days after Wednesday 25th, Thanksgiving skipped: Tuesday 1 December
    assert (data.expected_delivery, data.documents_due) == (date(2026, 11, 25), DOCUMENTS_DUE)
    assert result.delivery_windows == (DeliveryWindow("sh-1", date(2026, 11, 25), DOCUMENTS_DUE),)
    fixed = replace(REPORTED_DELIVERY, window=result.delivery_windows[0])
    assert run(replace(ORDER, shipments=(fixed,)), at("2026-11-26T10:00:00-05:00")).emissions == ()


def test_no_delivery_notice_before_the_carrier_reported_the_delivery() -> None:
    facts = replace(ORDER, shipments=(DELIVERED,))
    assert run(facts, at("2026-11-25T18:00:00-05:00")).emissions == ()


def test_a_dispute_is_held_to_the_window_announced_with_the_delivery() -> None:
    window = DeliveryWindow("sh-1", date(2026, 11, 25), DOCUMENTS_DUE)
    # the carrier's estimate moved after the announcement: the announced date still holds
    moved = replace(REPORTED_DELIVERY, window=window, estimated_delivery=date(2026, 11, 30))
    facts = replace(ORDER, shipments=(moved,), disputes=(DISPUTE,))
    data = run(facts, at("2026-11-25T20:00:00Z")).emissions[0].data
    assert isinstance(data, SlaDeliveredDisputed)
    assert data.documents_due == DOCUMENTS_DUE
    assert data.late_report is False


# --- late reports -----------------------------------------------------------------------

DEADLINE_DAY_START = at("2026-12-01T00:00:00-05:00")
DISPUTED = replace(ORDER, shipments=(DELIVERED,), disputes=(DISPUTE,))


def _accepted_at(when: datetime) -> OrderFacts:
    dispute = replace(DISPUTE, reported_at=when)
    facts = replace(DISPUTED, disputes=(dispute,))
    first = run(facts, when)
    (deadline,) = first.dispute_deadlines
    fixed = replace(
        dispute, expected_delivery=deadline.expected_delivery, documents_deadline=deadline.deadline
    )
    return replace(raised(first, facts), disputes=(fixed,))


@pytest.mark.parametrize(
    ("reported", "late"),
    [
        (DEADLINE_DAY_START - timedelta(seconds=1), False),  # Monday night: all Tuesday left
        (DEADLINE_DAY_START, True),  # Tuesday 00:00: less than one business day left
        (DOCUMENTS_DUE + timedelta(days=3), True),  # after the window
    ],
)
def test_a_dispute_with_less_than_a_business_day_left_is_a_late_report(
    reported: datetime, late: bool
) -> None:
    facts = replace(DISPUTED, disputes=(replace(DISPUTE, reported_at=reported),))
    result = run(facts, reported)
    assert kinds(result) == [("sla.delivered_disputed", Severity.SELLER)]
    data = result.emissions[0].data
    assert isinstance(data, SlaDeliveredDisputed)
    assert data.late_report is late
    assert result.timers.documents_reminder_at is None  # no reminder with the request


def test_a_late_report_is_never_overdue_in_the_same_assessment_and_gets_a_business_day() -> None:
    reported = DOCUMENTS_DUE + timedelta(days=3)  # Friday 4 December, 23:59:59 local
    result = run(replace(DISPUTED, disputes=(replace(DISPUTE, reported_at=reported),)), reported)
    assert "sla.dispute_documents_overdue" not in [k for k, _ in kinds(result)]
    # the business day after Friday 4th is Monday 7th: overdue one second after its end
    assert result.timers.documents_overdue_at == at("2026-12-08T00:00:00-05:00")


def test_overdue_reminds_and_tells_ops_but_closes_nothing() -> None:
    facts = _accepted_at(DEADLINE_DAY_START + timedelta(hours=9))
    overdue_at = at("2026-12-03T00:00:00-05:00")  # end of Wednesday 2nd (business day after)
    result = run(facts, overdue_at)
    assert kinds(result) == [("sla.dispute_documents_overdue", Severity.SELLER)]
    after = raised(result, facts)
    a_week_later = run(after, overdue_at + timedelta(days=7))
    assert kinds(a_week_later) == [("sla.dispute_documents_overdue", Severity.OPS)]
    assert not [e for e in a_week_later.emissions if isinstance(e.data, SlaResolved)]
    assert after.breaches[K.DELIVERED_DISPUTED].resolved_at is None


def test_no_reminder_when_its_time_had_come_before_the_dispute() -> None:
    # Monday 30th 10:00: the reminder (Monday 00:00) already passed, Tuesday is left whole
    facts = _accepted_at(at("2026-11-30T10:00:00-05:00"))
    result = run(facts, at("2026-11-30T10:00:01-05:00"))
    assert result.emissions == ()
    assert result.timers.documents_reminder_at is None
    assert result.timers.documents_overdue_at == DOCUMENTS_DUE + timedelta(seconds=1)


# --- documents received -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "late"),
    [(at("2026-11-25T20:00:00Z"), False), (DOCUMENTS_DUE + timedelta(days=1), True)],
)
def test_all_documents_in_gives_one_notice(reported: datetime, late: bool) -> None:
    facts = _accepted_at(reported)
    photo = replace(facts.disputes[0], documents=frozenset({DisputeDocument.PHOTO_ID}))
    assert run(replace(facts, disputes=(photo,)), reported + timedelta(hours=1)).emissions == ()
    both = replace(photo, documents=frozenset(DisputeDocument))
    result = run(replace(facts, disputes=(both,)), reported + timedelta(hours=2))
    notices = [e for e in result.emissions if e.notice]
    assert [e.event_id for e in notices] == [
        notice_event_id("o-1", K.DISPUTE_DOCUMENTS_RECEIVED, "case-1")
    ]
    data = notices[0].data
    assert isinstance(data, SlaDisputeDocumentsReceived)
    assert data.late is late
    assert result.documents_noticed == ("case-1",)
    noticed = replace(both, documents_noticed=True)
    again = run(replace(facts, disputes=(noticed,)), reported + timedelta(hours=3))
    assert [e for e in again.emissions if e.notice] == []


def test_a_resolution_names_the_parcel_status_it_cleared_with() -> None:
    facts = replace(ORDER, shipments=(IN_TRANSIT,))
    stalled = raised(run(facts, at("2026-11-27T23:59:59-05:00") + timedelta(days=4)), facts)
    assert K.TRACKING_STALLED in stalled.breaches
    moved = replace(IN_TRANSIT, status=S.DELIVERED, last_scan_at=at("2026-12-02T10:00:00-05:00"))
    result = run(replace(stalled, shipments=(moved,)), at("2026-12-02T10:05:00-05:00"))
    [resolution] = [
        e.data
        for e in result.emissions
        if isinstance(e.data, SlaResolved) and e.data.resolved_kind is K.TRACKING_STALLED
    ]
    assert resolution.latest_status is S.DELIVERED


def test_a_notice_writes_no_breach_record() -> None:
    result = run(DELIVERED_ORDER, at("2026-11-25T18:00:00-05:00"))
    assert kinds(result) == [("sla.delivered", None)]
    assert result.breaches == ()
