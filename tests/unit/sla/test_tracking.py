from datetime import datetime

from services.sla.rules import SlaRules
from services.sla.tracking import TrackingState, derive_state, first_shipped_at
from shared.contracts.events import TrackingEvent
from shared.contracts.statuses import TrackingStatus

OBSERVED = "2026-11-30T00:00:00+00:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def scan(
    status: TrackingStatus, occurred_at: str | None, observed_at: str = OBSERVED
) -> TrackingEvent:
    return TrackingEvent(
        order_id="o-1",
        shipment_id="s-1",
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        fingerprint=f"fp-{status}-{occurred_at}",
        status=status,
        carrier_code="X",
        description=str(status),
        occurred_at=at(occurred_at) if occurred_at else None,
        observed_at=at(observed_at),
    )


LABEL = scan(TrackingStatus.LABEL_CREATED, "2026-11-23T15:00:00+00:00")
PICKED_UP = scan(TrackingStatus.IN_TRANSIT, "2026-11-23T22:00:00+00:00")
ARRIVED = scan(TrackingStatus.IN_TRANSIT, "2026-11-24T09:00:00+00:00")
OUT = scan(TrackingStatus.OUT_FOR_DELIVERY, "2026-11-25T13:00:00+00:00")
DELIVERED = scan(TrackingStatus.DELIVERED, "2026-11-25T18:00:00+00:00")


def test_derive_state_is_empty_when_no_scans() -> None:
    assert derive_state([]) == TrackingState(None, None, None)


def test_derive_state_follows_scans_in_order() -> None:
    state = derive_state([LABEL, PICKED_UP, ARRIVED, OUT, DELIVERED])
    assert state == TrackingState(
        TrackingStatus.DELIVERED, at("2026-11-25T18:00:00+00:00"), DELIVERED.occurred_at
    )


def test_derive_state_orders_by_occurrence_when_scans_arrive_out_of_order() -> None:
    state = derive_state([DELIVERED, LABEL, OUT, ARRIVED, PICKED_UP])
    assert state.status is TrackingStatus.DELIVERED
    assert state.since == DELIVERED.occurred_at
    assert state.last_scan_at == DELIVERED.occurred_at


def test_derive_state_keeps_first_time_of_status_when_status_repeats() -> None:
    state = derive_state([LABEL, PICKED_UP, ARRIVED])
    assert state == TrackingState(
        TrackingStatus.IN_TRANSIT, PICKED_UP.occurred_at, ARRIVED.occurred_at
    )


def test_derive_state_stays_delivered_when_later_in_transit_scan_arrives() -> None:
    stray = scan(TrackingStatus.IN_TRANSIT, "2026-11-26T08:00:00+00:00")
    state = derive_state([LABEL, PICKED_UP, DELIVERED, stray])
    assert state == TrackingState(
        TrackingStatus.DELIVERED, DELIVERED.occurred_at, stray.occurred_at
    )


def test_derive_state_stays_delivered_when_exception_follows() -> None:
    exception = scan(TrackingStatus.EXCEPTION, "2026-11-26T08:00:00+00:00")
    assert derive_state([PICKED_UP, DELIVERED, exception]).status is TrackingStatus.DELIVERED


def test_derive_state_is_returned_when_carrier_returns_after_delivered() -> None:
    returned = scan(TrackingStatus.RETURNED_TO_SENDER, "2026-11-27T08:00:00+00:00")
    state = derive_state([PICKED_UP, DELIVERED, returned])
    assert state.status is TrackingStatus.RETURNED_TO_SENDER
    assert state.since == returned.occurred_at


def test_derive_state_moves_to_exception_while_in_transit() -> None:
    exception = scan(TrackingStatus.EXCEPTION, "2026-11-24T12:00:00+00:00")
    assert derive_state([PICKED_UP, ARRIVED, exception]).status is TrackingStatus.EXCEPTION


def test_derive_state_orders_by_observed_time_when_scan_has_no_occurred_time() -> None:
    local_only = scan(TrackingStatus.IN_TRANSIT, None, observed_at="2026-11-26T08:00:00+00:00")
    state = derive_state([local_only, PICKED_UP, DELIVERED])
    assert state.status is TrackingStatus.DELIVERED
    assert state.last_scan_at == at("2026-11-26T08:00:00+00:00")


def test_first_shipped_at_is_none_when_only_label_created() -> None:
    assert first_shipped_at([LABEL], SlaRules()) is None


def test_first_shipped_at_is_earliest_in_transit_class_scan() -> None:
    assert first_shipped_at([DELIVERED, ARRIVED, LABEL, PICKED_UP], SlaRules()) == (
        PICKED_UP.occurred_at
    )


def test_first_shipped_at_counts_out_for_delivery_when_no_in_transit_scan() -> None:
    assert first_shipped_at([LABEL, OUT], SlaRules()) == OUT.occurred_at


def test_first_shipped_at_counts_label_when_rule_configured() -> None:
    rules = SlaRules(label_created_counts_as_shipped=True)
    assert first_shipped_at([PICKED_UP, LABEL], rules) == LABEL.occurred_at


def test_first_shipped_at_ignores_cancelled_scan() -> None:
    cancelled = scan(TrackingStatus.CANCELLED, "2026-11-23T16:00:00+00:00")
    assert first_shipped_at([LABEL, cancelled], SlaRules()) is None
