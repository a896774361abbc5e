"""What happens to a simulated order, as ``orders.v1`` events scheduled in time. Pure.

Each story exercises one path of the system; the tracking number chooses the carrier
emulator's lifecycle (``docs/emulator.md``), which starts when the poller first asks.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from parcelwatch.dev.emulator.lifecycle import DELIVERY_STEPS, SCRIPTS
from parcelwatch.dev.emulator.scenarios import CARRIERS, Scenario, number_for
from parcelwatch.dev.simulator.personas import CUSTOMERS, ITEMS, LARGE_ITEMS, SELLERS
from shared.contracts.events import (
    DeliveryDisputed,
    DisputeDocument,
    DisputeDocumentsReceived,
    DisputeResolution,
    DisputeResolved,
    EventData,
    OrderCancelled,
    OrderConfirmed,
    OrderPaymentDeclined,
    OrderPlaced,
    ShipmentRegistered,
)


class Story(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    NOT_SHIPPED = "not_shipped"  # no tracking number ever uploaded
    NEVER_SCANNED = "never_scanned"  # label created, never handed to the carrier
    STALLED = "stalled"
    LOST = "lost"
    DAMAGED = "damaged"
    RETURNED = "returned"
    EXCEPTION_THEN_DELIVERED = "exception_then_delivered"
    ATTEMPTED_THEN_DELIVERED = "attempted_then_delivered"  # nobody home, second try
    PICKUP = "pickup"
    INVALID_NUMBER = "invalid_number"
    DISPUTED = "disputed"  # delivered, customer says no; documents come in time
    DISPUTED_NO_DOCUMENTS = "disputed_no_documents"
    UNCONFIRMED = "unconfirmed"  # payment pending at the bank
    PAYMENT_DECLINED = "payment_declined"  # the bank says no: never confirmed
    CANCELLED = "cancelled"
    RETURNED_AFTER_ATTEMPT = "returned_after_attempt"  # nobody home twice, back to the seller
    REDIRECTED_TO_PICKUP = "redirected_to_pickup"  # nobody home, collected at a pickup point
    REATTEMPTED = "reattempted"  # nobody home twice, third try


_SCENARIO = {
    Story.ON_TIME: Scenario.ON_TIME,
    Story.LATE: Scenario.LATE,
    Story.NEVER_SCANNED: Scenario.LABEL_ONLY,
    Story.STALLED: Scenario.STALLED,
    Story.LOST: Scenario.LOST,
    Story.DAMAGED: Scenario.DAMAGED,
    Story.RETURNED: Scenario.RETURNED,
    Story.EXCEPTION_THEN_DELIVERED: Scenario.EXCEPTION_THEN_DELIVERED,
    Story.ATTEMPTED_THEN_DELIVERED: Scenario.ATTEMPTED_THEN_DELIVERED,
    Story.PICKUP: Scenario.PICKUP,
    Story.INVALID_NUMBER: Scenario.INVALID,
    Story.DISPUTED: Scenario.DISPUTED,
    Story.DISPUTED_NO_DOCUMENTS: Scenario.DISPUTED,
    Story.RETURNED_AFTER_ATTEMPT: Scenario.RETURNED_AFTER_ATTEMPT,
    Story.REDIRECTED_TO_PICKUP: Scenario.REDIRECTED_TO_PICKUP,
    Story.REATTEMPTED: Scenario.REATTEMPTED,
}


_DECLINES = (
    (
        "insufficient_funds",
        "Your bank declined the payment: insufficient funds.",
        "Votre banque a refusé le paiement\u00a0: provision insuffisante.",
    ),
    ("expired_card", "Your card has expired.", "Votre carte a expiré."),
    (
        "do_not_honor",
        "Your bank declined the payment without giving a reason.",
        "Votre banque a refusé le paiement sans en donner la raison.",
    ),
)
"""Decline codes, and the reason in the customer's language as the order service gives it."""


@dataclass(frozen=True)
class Scheduled:
    """An event to publish once the (shared, possibly accelerated) clock reaches ``at``."""

    at: datetime
    data: EventData


def plan(story: Story, serial: int, start: datetime, rng: random.Random) -> list[Scheduled]:
    """The events of one order following ``story``, from ``start``."""
    order_id = f"sim-{serial:06d}-{story.value}"
    seller = rng.choice(SELLERS)
    customer = rng.choice(CUSTOMERS)
    items = [rng.choice(ITEMS)] + ([rng.choice(LARGE_ITEMS)] if rng.random() < 0.25 else [])
    details = {
        "order_id": order_id,
        "placed_at": start,
        "customer": customer,
        "seller": seller,
        "items": items,
        "marketplace": "refurb-" + seller.country.lower(),
    }
    events = [Scheduled(start, OrderPlaced(**details))]
    if story is Story.UNCONFIRMED:
        return events
    if story is Story.PAYMENT_DECLINED:
        declined = start + timedelta(minutes=rng.randint(1, 10))
        code, english, french = rng.choice(_DECLINES)
        data = OrderPaymentDeclined(
            order_id=order_id,
            declined_at=declined,
            reason_code=code,
            reason=french if customer.locale.startswith("fr") else english,
        )
        return [*events, Scheduled(declined, data)]
    confirmed_at = start + timedelta(minutes=rng.randint(1, 10))
    events.append(Scheduled(confirmed_at, OrderConfirmed(**details, confirmed_at=confirmed_at)))
    if story is Story.CANCELLED:
        cancelled = confirmed_at + timedelta(hours=1)
        events.append(
            Scheduled(
                cancelled,
                OrderCancelled(
                    order_id=order_id, cancelled_at=cancelled, reason="customer request"
                ),
            )
        )
        return events
    if story is Story.NOT_SHIPPED:
        return events
    carrier = CARRIERS[serial % len(CARRIERS)]
    scenario = _SCENARIO[story]
    registered = confirmed_at + timedelta(hours=rng.uniform(0.5, 4))
    shipment = {"order_id": order_id, "shipment_id": f"{order_id}-1"}
    events.append(
        Scheduled(
            registered,
            ShipmentRegistered(
                **shipment,
                carrier=carrier,
                tracking_number=number_for(carrier, scenario, serial),
                registered_at=registered,
            ),
        )
    )
    if story in (Story.DISPUTED, Story.DISPUTED_NO_DOCUMENTS):
        events += _dispute(story, order_id, scenario, registered)
    return events


def _dispute(
    story: Story, order_id: str, scenario: Scenario, registered: datetime
) -> list[Scheduled]:
    delivered_hours = next(s.hours for s in SCRIPTS[scenario].stops if s.step in DELIVERY_STEPS)
    reported = registered + timedelta(hours=delivered_hours + 12)
    case = {"order_id": order_id, "case_id": f"{order_id}-case"}
    events = [
        Scheduled(
            reported, DeliveryDisputed(**case, shipment_id=f"{order_id}-1", reported_at=reported)
        )
    ]
    if story is Story.DISPUTED:
        received = reported + timedelta(days=1)
        resolved = received + timedelta(days=1)
        events += [
            Scheduled(
                received,
                DisputeDocumentsReceived(
                    **case, documents=list(DisputeDocument), received_at=received
                ),
            ),
            Scheduled(
                resolved,
                DisputeResolved(
                    **case, resolution=DisputeResolution.REPLACEMENT, resolved_at=resolved
                ),
            ),
        ]
    return events
