"""Simulated orders: each story is the event sequence that walks its path."""

import random
from datetime import UTC, datetime

import pytest

from parcelwatch.dev.emulator.scenarios import scenario_of
from parcelwatch.dev.simulator.stories import Story, plan
from services.poller.carriers.registry import tracking_numbers
from shared.contracts.events import ShipmentRegistered

validate = tracking_numbers().validate

START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _types(story: Story) -> list[str]:
    return [s.data.event_type for s in plan(story, 1, START, random.Random(1))]


@pytest.mark.parametrize(
    ("story", "expected"),
    [
        (Story.UNCONFIRMED, ["order.placed"]),
        (Story.PAYMENT_DECLINED, ["order.placed", "order.payment_declined"]),
        (Story.NOT_SHIPPED, ["order.placed", "order.confirmed"]),
        (Story.CANCELLED, ["order.placed", "order.confirmed", "order.cancelled"]),
        (Story.ON_TIME, ["order.placed", "order.confirmed", "shipment.registered"]),
        (
            Story.DISPUTED,
            [
                "order.placed",
                "order.confirmed",
                "shipment.registered",
                "delivery.disputed",
                "dispute.documents_received",
                "dispute.resolved",
            ],
        ),
        (
            Story.DISPUTED_NO_DOCUMENTS,
            ["order.placed", "order.confirmed", "shipment.registered", "delivery.disputed"],
        ),
    ],
)
def test_story_events(story: Story, expected: list[str]) -> None:
    assert _types(story) == expected


LIFECYCLE = {
    Story.ON_TIME: "on_time",
    Story.LATE: "late",
    Story.NEVER_SCANNED: "label_only",
    Story.STALLED: "stalled",
    Story.LOST: "lost",
    Story.DAMAGED: "damaged",
    Story.RETURNED: "returned",
    Story.EXCEPTION_THEN_DELIVERED: "exception_then_delivered",
    Story.ATTEMPTED_THEN_DELIVERED: "attempted_then_delivered",
    Story.PICKUP: "pickup",
    Story.INVALID_NUMBER: "invalid",
    Story.DISPUTED: "disputed",
    Story.DISPUTED_NO_DOCUMENTS: "disputed",
    Story.RETURNED_AFTER_ATTEMPT: "returned_after_attempt",
    Story.REDIRECTED_TO_PICKUP: "redirected_to_pickup",
    Story.REATTEMPTED: "reattempted",
}


@pytest.mark.parametrize("story", list(Story))
def test_events_are_in_time_order_and_the_number_chooses_the_lifecycle(story: Story) -> None:
    for serial in range(4):
        scheduled = plan(story, serial, START, random.Random(serial))
        assert [s.at for s in scheduled] == sorted(s.at for s in scheduled)
        assert {s.data.order_id for s in scheduled} == {scheduled[0].data.order_id}
        registered = [s.data for s in scheduled if isinstance(s.data, ShipmentRegistered)]
        assert [scenario_of(r.carrier, r.tracking_number).value for r in registered] == (
            [LIFECYCLE[story]] if story in LIFECYCLE else []
        )
        assert all(validate(r.carrier, r.tracking_number) is None for r in registered)


def test_every_carrier_is_used() -> None:
    carriers = {
        s.data.carrier
        for serial in range(8)
        for s in plan(Story.ON_TIME, serial, START, random.Random(0))
        if isinstance(s.data, ShipmentRegistered)
    }
    assert carriers == {"ups", "fedex", "usps", "dhl"}
