"""Independent accounting of a fault run: what the inputs call for against what came out.

**Expected** comes from the inputs alone (the ``orders.v1`` events a test published and the
emulator lifecycle each tracking number chooses) through the documented rules: the
lifecycles of ``docs/emulator.md``, the SLA rules of ``docs/sla.md`` and who hears what in
``docs/notifier.md``; never from what a service processed. **Observed** is the mail capture
(or a test's own SMTP server), the chat sink and the events on ``tracking.v1`` and
``sla.v1``. Three parts are tallied, item by item and named by order: messages
(order, kind), SLA events (order, kind, tier) and tracking status moves (order, shipment,
from, to): **lost** (called for, never seen), **duplicated** (seen more than once, copies of
one event id included) and **unexpected** (seen, not called for).

An expectation is ``MUST`` when the inputs fix it, ``MAY`` when timing the inputs do not fix
decides it (a deadline and the scan that clears it within ``MARGIN`` of each other, or how
soon the poller first asks a carrier): a ``MAY`` item is neither lost when absent nor
unexpected when present. Inputs whose expectations are all ``MUST`` (``QUICK_STORIES``)
make the strictest runs.
"""

import email
import email.policy
import hashlib
import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from parcelwatch.dev.emulator.scenarios import Scenario, scenario_of
from parcelwatch.dev.simulator.runner import SimulatorSettings
from parcelwatch.dev.simulator.stories import Story, plan
from services.notifier.chat import TITLES
from services.notifier.headers import message_id
from services.notifier.kinds import MessageKind
from shared.contracts.events import (
    DeliveryDisputed,
    DisputeDocumentsReceived,
    DisputeResolved,
    EventData,
    OrderCancelled,
    OrderConfirmed,
    OrderPaymentDeclined,
    OrderPlaced,
    ShipmentRegistered,
)

Key = tuple[str, ...]
"""An accounted item; its first part is always the order id."""
Event = dict[str, Any]
"""A CloudEvent as JSON (``id``, ``type``, ``data``…) read back from a topic."""


class Certainty(StrEnum):
    MUST = "must"
    MAY = "may"


MUST, MAY = Certainty.MUST, Certainty.MAY

MARGIN = 12.0
"""Emulated hours. Two instants closer than this (12 real seconds at the stacks' 3600x)
are ordered by how fast the services run, which a fault changes: the outcome is ``MAY``."""

QUICK_STORIES = (
    Story.ON_TIME,
    Story.RETURNED,
    Story.EXCEPTION_THEN_DELIVERED,
    Story.UNCONFIRMED,
    Story.CANCELLED,
)
"""Stories whose messages are fixed early (the last at lifecycle hour 94): an e-mail to
customer and seller, an ops chat message, a pure-SLA message, an order that hears nothing."""

SEED = SimulatorSettings.model_fields["simulator_seed"].default
"""The seed ``dev simulate`` draws customers, sellers and items with (``SIMULATOR_SEED``)."""


# --- the inputs ----------------------------------------------------------------------------


@dataclass
class Order:
    """What the ``orders.v1`` inputs say about one order."""

    order_id: str
    customer: str | None = None  # e-mail addresses, once an order.placed/confirmed says
    seller: str | None = None
    placed: datetime | None = None
    confirmed: datetime | None = None
    cancelled: datetime | None = None
    declined: datetime | None = None
    shipments: dict[str, Scenario] = field(default_factory=dict)  # by shipment id
    disputed: bool = False
    documents: bool = False
    resolved: bool = False


def orders_of(inputs: Iterable[EventData]) -> dict[str, Order]:
    """The orders the events a test published describe (repeats change nothing)."""
    orders: dict[str, Order] = {}
    for data in inputs:
        order = orders.setdefault(data.order_id, Order(data.order_id))
        match data:
            case OrderPlaced() | OrderConfirmed():
                order.customer, order.seller = str(data.customer.email), str(data.seller.email)
                order.placed = data.placed_at
                if isinstance(data, OrderConfirmed):
                    order.confirmed = data.confirmed_at
            case OrderCancelled():
                order.cancelled = data.cancelled_at
            case OrderPaymentDeclined():
                order.declined = data.declined_at
            case ShipmentRegistered():
                order.shipments[data.shipment_id] = scenario_of(data.carrier, data.tracking_number)
            case DeliveryDisputed():
                order.disputed = True
            case DisputeDocumentsReceived():
                order.documents = True
            case DisputeResolved():
                order.resolved = True
    return orders


def expect_simulated(orders: int, stories: Sequence[Story] = tuple(Story)) -> "Expected":
    """What ``dev simulate --orders N --stories …`` (seed ``SEED``) calls for."""
    return expect(orders_of(simulated(orders, stories)))


def simulated(
    orders: int, stories: Sequence[Story] = tuple(Story), seed: int = SEED
) -> list[EventData]:
    """What ``dev simulate --orders N --stories …`` publishes on ``orders.v1``: its runner
    plans order ``serial`` with the next story in turn and one seeded random source; the
    draws do not depend on the time, so this replays them exactly (times aside)."""
    rng, turn = random.Random(seed), itertools.cycle(stories)
    start = datetime.now(UTC)
    return [item.data for serial in range(orders) for item in plan(next(turn), serial, start, rng)]


# --- the rules: emulator lifecycles (docs/emulator.md, "Lifecycles") -------------------------

LABEL, TRANSIT, OUT = "label_created", "in_transit", "out_for_delivery"
PICKUP, ATTEMPTED, DELIVERED = "available_for_pickup", "delivery_attempted", "delivered"
EXCEPTION, RETURNED = "exception", "returned_to_sender"


@dataclass(frozen=True)
class Lifecycle:
    """Every scan (emulated hour after the first sighting, normalized status) and the hour
    of the carrier's estimate."""

    scans: tuple[tuple[float, str], ...]
    eta: float | None = None

    def moves(self) -> list[tuple[float, str | None, str]]:
        """The status moves the poller publishes, in order (``tracking.status_changed``):
        (hour, from, to)."""
        before: str | None = None
        found = []
        for hour, status in self.scans:
            if status != before:
                found.append((hour, before, status))
            before = status
        return found

    def first(self, *statuses: str, after: float = -1.0) -> float | None:
        """Hour of the first scan (later than ``after``) with one of ``statuses``."""
        return next((h for h, status in self.scans if status in statuses and h > after), None)

    def after(self, hour: float) -> float | None:
        """Hour of the next scan after ``hour``."""
        return next((h for h, _ in self.scans if h > hour), None)


_FIRST_LEG = ((0.0, LABEL), (6.0, TRANSIT), (10.0, TRANSIT), (30.0, TRANSIT))
_ON_TIME = Lifecycle((*_FIRST_LEG, (36, TRANSIT), (58, TRANSIT), (64, OUT), (70, DELIVERED)), 72)
LIFECYCLES: dict[Scenario, Lifecycle] = {
    # on_time | 0 label · 6 picked up · 10 departed · 30 hub · 36 departed · 58 destination
    #         · 64 out for delivery · 70 delivered; estimate h72
    Scenario.ON_TIME: _ON_TIME,
    # late | as on time to 30 · 50 delay scan · 90 departed · 112 destination · 118 out for
    #      delivery · 124 delivered
    Scenario.LATE: Lifecycle(
        (*_FIRST_LEG, (50, TRANSIT), (90, TRANSIT), (112, TRANSIT), (118, OUT), (124, DELIVERED)),
        72,
    ),
    # label_only | 0 label, then nothing
    Scenario.LABEL_ONLY: Lifecycle(((0, LABEL),)),
    # no_scans | none: the carrier never knows the number
    Scenario.NO_SCANS: Lifecycle(()),
    # stalled | 0 label · 6 · 10 · 30 hub, then silence
    Scenario.STALLED: Lifecycle(_FIRST_LEG, 72),
    # lost | as stalled · 120 exception "lost"
    Scenario.LOST: Lifecycle((*_FIRST_LEG, (120, EXCEPTION)), 72),
    # damaged | as stalled · 34 exception "damaged"
    Scenario.DAMAGED: Lifecycle((*_FIRST_LEG, (34, EXCEPTION)), 72),
    # disputed | as on time, left at the front door without a signature
    Scenario.DISPUTED: _ON_TIME,
    # exception_then_delivered | as on time to 58 · 64 address exception · 86 out for delivery
    #                          · 92 delivered; estimate h96
    Scenario.EXCEPTION_THEN_DELIVERED: Lifecycle(
        (*_ON_TIME.scans[:6], (64, EXCEPTION), (86, OUT), (92, DELIVERED)), 96
    ),
    # returned | as on time to 64 · 70 return to sender (refused)
    Scenario.RETURNED: Lifecycle((*_ON_TIME.scans[:7], (70, RETURNED)), 72),
    # pickup | as on time to 58 · 64 at access point / post office · 100 collected
    Scenario.PICKUP: Lifecycle((*_ON_TIME.scans[:6], (64, PICKUP), (100, DELIVERED)), 72),
    # invalid | the carrier's invalid-number error
    Scenario.INVALID: Lifecycle(()),
    # attempted_then_delivered | as on time to 64 · 70 delivery attempted · 88 out for
    #                          delivery · 94 delivered
    Scenario.ATTEMPTED_THEN_DELIVERED: Lifecycle(
        (*_ON_TIME.scans[:7], (70, ATTEMPTED), (88, OUT), (94, DELIVERED)), 72
    ),
}
# returned_after_attempt | as on time to 64 · 70 attempted · 88 out for delivery · 94
#                        attempted · 110 return to sender
_TWO_ATTEMPTS = (*_ON_TIME.scans[:7], (70, ATTEMPTED), (88, OUT), (94, ATTEMPTED))
LIFECYCLES[Scenario.RETURNED_AFTER_ATTEMPT] = Lifecycle((*_TWO_ATTEMPTS, (110, RETURNED)), 72)
# redirected_to_pickup | as on time to 64 · 70 not delivered, sent to a pickup point · 80
#                      ready for pickup · 110 collected (statuses: … → delivery_attempted
#                      → available_for_pickup → delivered)
LIFECYCLES[Scenario.REDIRECTED_TO_PICKUP] = Lifecycle(
    (*_ON_TIME.scans[:7], (70, ATTEMPTED), (80, PICKUP), (110, DELIVERED)), 72
)
# reattempted | as on time to 64 · 70 attempted · 88 out for delivery · 94 attempted · 112
#             out for delivery · 118 delivered
LIFECYCLES[Scenario.REATTEMPTED] = Lifecycle((*_TWO_ATTEMPTS, (112, OUT), (118, DELIVERED)), 72)
# rate_limited, server_error, …, token_storm | the on_time lifecycle, behind the failure mode
LIFECYCLES.update({s: _ON_TIME for s in Scenario if s not in LIFECYCLES})


# --- the rules: SLA events (docs/sla.md, "Rules as implemented") ------------------------------

Trigger = tuple[str, str]
"""(what, tier): an SLA kind and its severity tier (``seller`` or ``ops``; a notice carries
the contract's default, ``seller``), or, with tier ``""``, a trigger that is no SLA event."""

NOTICES = frozenset({"delivered", "dispute_documents_received"})
"""SLA kinds that report a fact (docs/sla.md, the notices table): never escalated or
resolved."""


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def _while(ends: float | None, earliest: float, latest: float) -> Certainty | None:
    """Whether a deadline falling between ``earliest`` and ``latest`` (emulated hours) is
    reached while the situation lasts; it ends at ``ends`` (None: never)."""
    if ends is None or ends > latest + MARGIN:
        return MUST
    return None if ends < earliest - MARGIN else MAY


def sla_events(order: Order) -> dict[Trigger, Certainty]:
    """The SLA events, (kind, tier), one order's inputs call for: one clause per row of the
    rules and notices tables. A breach is raised at tier ``seller``; one that escalates is
    raised again at tier ``ops`` 24 h later if it still holds (Decisions: "from seller to
    ops")."""
    found: dict[Trigger, Certainty] = {}

    def event(kind: str, seller: Certainty | None, ops: Certainty | None = None) -> None:
        for tier, certainty in (("seller", seller), ("ops", ops)):
            if certainty is not None:
                found[(kind, tier)] = certainty

    # "Rules that need the seller wait for the order's details".
    if order.customer is None or order.placed is None:
        return found
    # | order_unconfirmed | placed, not confirmed | placed_at + 30 min | escalates: no |
    # "Order will not ship": order.payment_declined (of an order not confirmed) stops every
    # timer.
    settled = order.confirmed or order.declined
    event("order_unconfirmed", _while(_hours(order.placed, settled), 0.5, 0.5))
    if order.confirmed is None:
        return found
    # "Order will not ship": order.cancelled resolves every open breach and stops every
    # timer. The earliest verdicts: ship-by, confirmed just before 13:00, deadline 23:59:59
    # that day, + 2 h; the customer's promise, confirmed just before midnight, 23:59:59 the
    # next day, + 2 h.
    if order.cancelled is not None:
        since = _hours(order.confirmed, order.cancelled)
        event("ship_by_missed", _while(since, 13, 13), _while(since, 37, 37))
        event("ship_promise_missed", _while(since, 26, 26))
        return found
    life = LIFECYCLES[next(iter(order.shipments.values()))] if order.shipments else None
    # | ship_by_missed | confirmed, no shipped scan at or before the deadline | deadline + 2 h
    # | escalates: yes | and | ship_promise_missed | … before the customer's promise |
    # promise + 2 h | escalates: no |. A parcel that ships is first scanned 6 h after the
    # poller first asks the carrier, which the inputs do not place against either deadline.
    ships = life is not None and life.first(*SHIPPED) is not None
    never = MAY if ships else MUST
    event("ship_by_missed", never, never)
    event("ship_promise_missed", never)
    if life is None:
        return found
    # | carrier_exception | status exception or returned_to_sender | at once | clears: carrier
    # resumed | escalates |
    if (trouble := life.first(EXCEPTION, RETURNED)) is not None:
        resumed = life.first(*MOVING, after=trouble)
        event("carrier_exception", MUST, _while(resumed, trouble + 24, trouble + 24))
    # | delivery_late | an estimate, not delivered, returned or cancelled | end of the
    # estimated day in the customer's zone + 2 h (that day ends 0-24 h after the estimate) |
    if life.eta is not None:
        ends = life.first(DELIVERED, RETURNED)
        due = (life.eta + 2, life.eta + 26)
        event("delivery_late", _while(ends, *due), _while(ends, due[0] + 24, due[1] + 24))
    # | tracking_stalled | in_transit, out_for_delivery or delivery_attempted | 23:59:59 local
    # on the 3rd business day after the last scan's date (72 h to a week with a weekend and
    # holidays) | clears: new scan |
    event(
        "tracking_stalled",
        _most(stall for _, _, stall in _stalls(life, 72, 168)),
        _most(stall for _, _, stall in _stalls(life, 96, 192)),
    )
    # | delivered (notice) | a shipment is delivered by its scans and a status change into
    # delivered came; not after the customer reported a dispute |. The simulator reports a
    # dispute 82 h after the registration, the delivery comes 70 h after the poller first
    # asks the carrier: within MARGIN of each other.
    if (delivered := life.first(DELIVERED)) is not None:
        event("delivered", MAY if order.disputed else MUST)
    # | delivered_disputed | a case whose shipment the carrier shows delivered | at once |
    # The delivery comes 70 h after the poller first asks the carrier, which the inputs do
    # not place against the case's resolution: certain only when nothing resolves the case.
    if order.disputed and delivered is not None:
        disputed = MAY if order.resolved else MUST
        event("delivered_disputed", disputed)
        # | dispute_documents_due | the accepted case lacks a document, not a late report,
        # and the reminder time came after the acceptance | 00:00 local on the business day
        # before the deadline's day |: 12-14 h after the simulator's report at the earliest
        # (the expected delivery is the estimate's date, or the delivery's when the carrier
        # drops its estimate), and before it where the seller's midnight comes hours before
        # the customer's (Sydney and Chicago): the calendar and the zones decide.
        event("dispute_documents_due", MAY)
        if order.documents:
            # | dispute_documents_received (notice) | every required document of the
            # accepted, open case is in |: the case is accepted once the delivery is known,
            # which may come after the documents and the resolution.
            event("dispute_documents_received", MAY)
        else:
            # | dispute_documents_overdue | the accepted case lacks a document | one second
            # after the deadline, never before the end of the business day after the
            # acceptance | escalates |
            event("dispute_documents_overdue", disputed, disputed)
    return found


SHIPPED = (TRANSIT, OUT, PICKUP, ATTEMPTED, DELIVERED, EXCEPTION, RETURNED)
"""'Shipped' is the earliest scan of class in_transit or later (not label_created)."""
MOVING = (TRANSIT, OUT, PICKUP, ATTEMPTED, DELIVERED)
"""Statuses a parcel held by an exception resumes with ("carrier resumed (<status>)")."""


def _stalls(
    life: Lifecycle, earliest: float, latest: float
) -> Iterator[tuple[float | None, str | None, Certainty | None]]:
    """For each watched scan, the hour and status of the scan that clears a stall after it
    (None: nothing does) and whether the stall (due ``earliest``-``latest`` h after the
    scan) is raised."""
    for hour, status in life.scans:
        if status in (TRANSIT, OUT, ATTEMPTED):
            clears = life.after(hour)
            after = None if clears is None else dict(life.scans)[clears]
            yield clears, after, _while(clears, hour + earliest, hour + latest)


def _most(certainties: Iterable[Certainty | None]) -> Certainty | None:
    found = set(certainties)
    return MUST if MUST in found else MAY if MAY in found else None


def tracking_resumed(order: Order) -> Certainty | None:
    """| sla.resolved of tracking_stalled / carrier_exception, parcel moving again |
    customer_tracking_resumed, only if the customer heard of the problem |: not when the
    clearing scan is a delivery (the delivered e-mail is the follow-up), a return or a new
    exception (a parcel reported lost after a stall is not moving again: the customer is
    told what happened by ``customer_carrier_exception``). The customer heard of a problem
    raised ``MARGIN`` before the clearing scan."""
    if not order.shipments or order.confirmed is None or order.cancelled is not None:
        return None
    life = LIFECYCLES[next(iter(order.shipments.values()))]
    found: list[Certainty | None] = []
    if (trouble := life.first(EXCEPTION, RETURNED)) is not None:
        clears = life.first(*MOVING, after=trouble)
        if clears is not None:
            heard = MUST if clears - trouble > MARGIN else MAY
            found.append(_moving(dict(life.scans)[clears], heard))
    for _, status, stall in _stalls(life, 72, 168):
        if status is not None:
            found.append(_moving(status, stall))
    return _most(found)


def _moving(status: str, heard: Certainty | None) -> Certainty | None:
    return None if status in (DELIVERED, RETURNED, EXCEPTION) else heard


# --- the rules: who hears what (docs/notifier.md, "Who hears what") ---------------------------

WHO_HEARS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # trigger: (kinds sent, kinds sent only for the event of tier `ops`). The fault stacks
    # switch quiet hours off (``QUIET_HOURS_OFF``) and keep the optional updates at their
    # defaults (README): out_for_delivery off, available_for_pickup, delivery_attempted and
    # delivered on.
    # | first tracking.status_changed into in_transit or later | customer_shipped | — | — |
    "shipped": (("customer_shipped",), ()),
    # | status out_for_delivery / available_for_pickup / delivery_attempted | short update;
    # each a setting (NOTIFIER_NOTIFY_…), off / on / on by default | — | — |
    "available_for_pickup": (("customer_available_for_pickup",), ()),
    "delivery_attempted": (("customer_delivery_attempted",), ()),
    # | sla.delivered | customer_delivered (NOTIFIER_NOTIFY_DELIVERED, on) | — | — |
    "delivered": (("customer_delivered",), ()),
    # | sla.ship_by_missed (the seller's deadline) | — | seller_ship_by_missed | severity
    # ops only |
    "ship_by_missed": (("seller_ship_by_missed",), ("ops_ship_by_missed",)),
    # | sla.ship_promise_missed (the customer's promise) | customer_ship_by_missed | — | — |
    "ship_promise_missed": (("customer_ship_by_missed",), ()),
    # | sla.delivery_late | customer_delivery_late | — | severity ops only |
    "delivery_late": (("customer_delivery_late",), ("ops_delivery_late",)),
    # | sla.tracking_stalled | customer_tracking_stalled | seller_tracking_stalled | severity
    # ops only |
    "tracking_stalled": (
        ("customer_tracking_stalled", "seller_tracking_stalled"),
        ("ops_tracking_stalled",),
    ),
    # | sla.resolved of tracking_stalled / carrier_exception | customer_tracking_resumed | — |
    "tracking_resumed": (("customer_tracking_resumed",), ()),
    # | sla.delivered_disputed | places to check… | the claim in the same order… | always |
    "delivered_disputed": (
        ("customer_delivered_disputed", "seller_delivered_disputed", "ops_delivered_disputed"),
        (),
    ),
    # | sla.dispute_documents_due | reminder | notice | — |
    "dispute_documents_due": (("customer_documents_due", "seller_documents_due"), ()),
    # | sla.dispute_documents_overdue | reminder "as soon as possible", only if no reminder
    # went yet | notice: wait for Customer Care | always |
    "dispute_documents_overdue": (
        ("customer_documents_overdue", "seller_documents_overdue", "ops_documents_overdue"),
        (),
    ),
    # | sla.dispute_documents_received | thanks | file the claim now | when late |: the
    # simulator's documents come a day after the report, days inside the window: never late.
    "dispute_documents_received": (
        ("customer_documents_received", "seller_documents_received"),
        (),
    ),
    # | sla.order_unconfirmed | the three steps | — | — |
    "order_unconfirmed": (("customer_order_unconfirmed",), ()),
    # | order.payment_declined | customer_payment_declined | — | — |
    "payment_declined": (("customer_payment_declined",), ()),
    # | sla.carrier_exception | what happened, what next | escalation | always |
    "carrier_exception": (
        ("customer_carrier_exception", "seller_carrier_exception", "ops_carrier_exception"),
        (),
    ),
}

SLOTS = {"customer_documents_overdue": "customer_documents_due"}
"""| customer_documents_overdue | shares the dedup key of customer_documents_due: one
documents reminder per order | (Keeping the inbox consistent): the message is known by
the key of the kind it shares."""

QUIET_HOURS_OFF = {"NOTIFIER_QUIET_HOURS_START": "00:00", "NOTIFIER_QUIET_HOURS_END": "00:00"}
"""README: quiet hours end "Equal to the start: no quiet hours". The fault stacks run with
them off: a delay or problem e-mail goes when it is raised, so what the accounting calls
for does not depend on the hour of the customer's day the run happens to emulate."""


def triggers(order: Order) -> dict[Trigger, Certainty]:
    """Every trigger of ``WHO_HEARS`` and SLA event the order's inputs call for: the tracking
    statuses its lifecycle goes through, a payment declined, its SLA events and a follow-up
    when a problem clears."""
    found = {}
    for scenario in order.shipments.values():
        statuses = {status for _, _, status in LIFECYCLES[scenario].moves()}
        if statuses - {LABEL}:
            found[("shipped", "")] = MUST
        for update in statuses & {PICKUP, ATTEMPTED}:  # the updates on by default
            found[(update, "")] = MUST
    if order.declined is not None and order.confirmed is None:
        found[("payment_declined", "")] = MUST
    if (resumed := tracking_resumed(order)) is not None:
        found[("tracking_resumed", "")] = resumed
    return {**found, **sla_events(order)}


# --- expected ----------------------------------------------------------------------------------


@dataclass
class Expected:
    """The items the inputs call for, by part; ``addresses`` gives each message's recipient."""

    messages: dict[Key, Certainty]  # (order, kind)
    sla: dict[Key, Certainty]  # (order, kind, tier); (order, kind, "resolved") may follow any
    moves: dict[Key, Certainty]  # (order, shipment, from, to[, "#n" for the n-th same move])
    addresses: dict[Key, str]  # (order, kind) -> e-mail address, or "chat"
    orders: dict[str, Order]
    together: list[tuple[Key, Key]] = field(default_factory=list)
    """Messages seen both or neither: a problem e-mail and its follow-up (see ``FOLLOWS``)."""

    def relaxed(self, orders: Iterable[str]) -> "Expected":
        """A copy where the items of ``orders`` are all ``MAY`` (their inputs may be gone)."""
        gone = set(orders)

        def relax(items: dict[Key, Certainty]) -> dict[Key, Certainty]:
            return {k: MAY if k[0] in gone else c for k, c in items.items()}

        return Expected(
            relax(self.messages),
            relax(self.sla),
            relax(self.moves),
            self.addresses,
            self.orders,
            self.together,
        )


def expect(orders: Mapping[str, Order], moves_after_hour: float | None = None) -> Expected:
    """What ``orders`` call for. ``moves_after_hour``: status moves whose scan comes later
    in the lifecycle are ``MAY`` (a run shorter than the lifecycles)."""
    messages: dict[Key, Certainty] = {}
    sla: dict[Key, Certainty] = {}
    moves: dict[Key, Certainty] = {}
    addresses: dict[Key, str] = {}
    for order in orders.values():
        for shipment, scenario in order.shipments.items():
            life = LIFECYCLES[scenario]
            if not life.scans:
                moves[(order.order_id, shipment, "", "number_invalid")] = MUST
            times: Counter[tuple[str | None, str]] = Counter()
            for hour, before, status in life.moves():
                times[(before, status)] += 1
                late = moves_after_hour is not None and hour > moves_after_hour
                key = (
                    order.order_id,
                    shipment,
                    before or "",
                    status,
                    *_nth(times[(before, status)]),
                )
                moves[key] = MAY if late else MUST
        for (trigger, tier), certainty in triggers(order).items():
            if tier:
                sla[(order.order_id, trigger, tier)] = certainty
                if trigger not in NOTICES:
                    sla.setdefault((order.order_id, trigger, "resolved"), MAY)
            if order.customer is None or order.seller is None:
                continue  # the notifier waits for the order's recipients
            always, ops_only = WHO_HEARS[trigger]
            for kind in always + (ops_only if tier == "ops" else ()):
                key = (order.order_id, SLOTS.get(kind, kind))
                messages[key] = MUST if MUST in (certainty, messages.get(key)) else MAY
                addresses[key] = _address(order, kind)
    together: list[tuple[Key, Key]] = [
        ((order_id, problem), (order_id, follow_up))
        for (order_id, follow_up), certainty in messages.items()
        if certainty is MUST and follow_up in FOLLOWS
        for problem in FOLLOWS[follow_up]
        if messages.get((order_id, problem)) is MUST
    ]
    for pair in together:
        messages.update(dict.fromkeys(pair, MAY))
    return Expected(messages, sla, moves, addresses, dict(orders), together)


FOLLOWS = {"customer_tracking_resumed": ("customer_tracking_stalled", "customer_carrier_exception")}
"""| customer_tracking_resumed | withdraws a stalled or problem e-mail not sent yet, and is
then not sent (nothing to follow up) | (Keeping the inbox consistent): whether the problem
e-mail went before the parcel moved again is the sender's pace (a notifier down or behind
for the few seconds between them), not the inputs'. So the two are seen both or neither."""


def _nth(n: int) -> tuple[str, ...]:
    """How a status move the lifecycle makes more than once is told apart (reattempted:
    out_for_delivery → delivery_attempted twice): ``#2`` for the second."""
    return () if n == 1 else (f"#{n}",)


def _address(order: Order, kind: str) -> str:
    audience = kind.split("_", 1)[0]
    address = {"customer": order.customer, "seller": order.seller, "ops": "chat"}[audience]
    assert address is not None
    return address


# --- observed --------------------------------------------------------------------------------


@dataclass
class Observed:
    """What came out of a run: e-mails by Message-ID, chat posts by (order, kind), and the
    events on ``sla.v1`` and ``tracking.v1`` (copies included)."""

    emails: Counter[str]
    chats: Counter[Key]
    sla: list[Event]
    tracking: list[Event]

    def without(self, produced: Counter[str]) -> "Observed":
        """Leaves out, per event id, as many copies as a test produced itself."""
        left = Counter(produced)

        def keep(events: list[Event]) -> list[Event]:
            kept = []
            for event in events:
                if left[event["id"]] > 0:
                    left[event["id"]] -= 1
                else:
                    kept.append(event)
            return kept

        return Observed(self.emails, self.chats, keep(self.sla), keep(self.tracking))


def captured_emails(folder: Path) -> Counter[str]:
    """Message-IDs of the ``.eml`` files in the capture ``folder``, with their copies."""
    found: Counter[str] = Counter()
    for path in folder.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found[str(message["Message-ID"]).strip()] += 1
    return found


_CHAT_TEXT = re.compile(r"^(?P<title>.+): order (?P<order>[^\s,]+), seller ")
_KIND_OF_TITLE = {title: str(kind) for kind, title in TITLES.items()}
_LATE_REPORT = " (reported late): decide"
"""Added to the title of an alert about a dispute reported late."""


def captured_chats(folder: Path) -> Counter[Key]:
    """(order, kind) of every chat post the capture kept under ``folder``, with copies."""
    found: Counter[Key] = Counter()
    for path in folder.glob("*.json"):
        text = json.loads(path.read_text())["text"]
        matched = _CHAT_TEXT.match(text)
        assert matched, f"a chat post the accounting cannot read: {text!r}"
        title = matched["title"].removesuffix(_LATE_REPORT)
        found[(matched["order"], _KIND_OF_TITLE.get(title, f"chat {title!r}"))] += 1
    return found


# --- the accounting ----------------------------------------------------------------------------


@dataclass
class Tally:
    """One part of the accounting; each item is named by its order and what it is."""

    part: str
    expected: int  # MUST items
    observed: int  # distinct items seen
    lost: list[Key]
    duplicated: dict[Key, int]  # extra copies
    unexpected: list[Key]

    @property
    def copies(self) -> int:
        return sum(self.duplicated.values())

    def lines(self) -> list[str]:
        head = (
            f"{self.part}: {self.expected} expected, {self.observed} observed, "
            f"{len(self.lost)} lost, {self.copies} duplicated, {len(self.unexpected)} unexpected"
        )
        return [
            head,
            *(f"  lost {' '.join(k)}" for k in self.lost),
            *(f"  duplicated {' '.join(k)} (+{n})" for k, n in sorted(self.duplicated.items())),
            *(f"  unexpected {' '.join(k)}" for k in self.unexpected),
        ]


@dataclass
class Report:
    """The three parts: messages (the notifier's row), ``sla.v1`` (the sla service's) and
    ``tracking.v1`` (the poller's)."""

    messages: Tally
    sla: Tally
    tracking: Tally

    @property
    def parts(self) -> tuple[Tally, Tally, Tally]:
        return (self.messages, self.sla, self.tracking)

    @property
    def lost(self) -> int:
        return sum(len(t.lost) for t in self.parts)

    @property
    def duplicated(self) -> int:
        return sum(t.copies for t in self.parts)

    def by_service(self) -> dict[str, Tally]:
        return {"notifier": self.messages, "sla": self.sla, "poller": self.tracking}

    def text(self) -> str:
        return "\n".join(line for tally in self.parts for line in tally.lines())


def _tally(part: str, expected: Mapping[Key, Certainty], seen: Counter[Key]) -> Tally:
    return Tally(
        part,
        sum(1 for c in expected.values() if c is MUST),
        len(seen),
        sorted(k for k, c in expected.items() if c is MUST and not seen[k]),
        {k: n - 1 for k, n in seen.items() if n > 1},
        sorted(k for k in seen if k not in expected),
    )


def dedup_key(order_id: str, kind: str, address: str) -> str:
    """``<order>/<kind>/<recipient>`` (docs/notifier.md, "Exactly once"): the recipient is
    ``chat`` or the first 16 hex digits of the SHA-256 of the lower-cased address."""
    ref = address if address == "chat" else hashlib.sha256(address.lower().encode()).hexdigest()
    return f"{order_id}/{kind}/{ref[:16]}"


def account(expected: Expected, observed: Observed, domain: str) -> Report:
    """Expected against observed, part by part. An e-mail is known by its Message-ID (derived
    from the dedup key, the same on every attempt); one no (order, kind) of these orders
    explains is unexpected under its Message-ID."""
    known: dict[str, Key] = {}
    for order in expected.orders.values():
        for kind in MessageKind:
            for role, address in (("customer", order.customer), ("seller", order.seller)):
                if address is not None:
                    key = message_id(dedup_key(order.order_id, kind, address), domain)
                    name = (order.order_id, str(kind))
                    known[key] = name if kind.startswith(role) else (*name, role)
    messages: Counter[Key] = Counter()
    for mid, copies in observed.emails.items():
        messages[known.get(mid, ("?", f"Message-ID {mid}"))] += copies
    messages.update(observed.chats)

    sla: Counter[Key] = Counter()
    for event in observed.sla:
        data = event["data"]
        tier = "resolved" if event["type"] == "sla.resolved" else data["severity"]
        kind = data["resolved_kind"] if tier == "resolved" else event["type"].removeprefix("sla.")
        sla[(data["order_id"], kind, tier)] += 1
    moves: Counter[Key] = Counter()
    scans: Counter[Key] = Counter()
    changes: dict[Key, list[Event]] = {}
    for event in observed.tracking:
        data = event["data"]
        where = (data["order_id"], data["shipment_id"])
        if event["type"] == "tracking.status_changed":
            move: Key = (*where, data["previous_status"] or "", data["status"])
            changes.setdefault(move, []).append(event)
        elif event["type"] == "tracking.number_invalid":
            moves[(*where, "", "number_invalid")] += 1
        else:
            scans[(*where, f"scan {event['id']}")] += 1
    for move, events in changes.items():
        # The same move made again is another event id: the n-th by scan time is "#n".
        times = {e["id"]: e["data"].get("occurred_at") or "" for e in events}
        ranked = sorted(times, key=lambda event_id: (times[event_id], event_id))
        for event in events:
            moves[(*move, *_nth(ranked.index(event["id"]) + 1))] += 1
    tracking = _tally("tracking.v1", expected.moves, moves)
    tracking.duplicated.update({k: n - 1 for k, n in scans.items() if n > 1})
    tally = _tally("messages", expected.messages, messages)
    tally.lost += sorted(  # the one of a pair seen without the other
        first if not messages[first] else second
        for first, second in expected.together
        if bool(messages[first]) != bool(messages[second])
    )
    return Report(tally, _tally("sla.v1", expected.sla, sla), tracking)


# --- limits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What a run may show; ``check`` fails on anything else.

    ``duplicated``: messages sent twice, exactly the notifier's own count of its ambiguous
    window (a range where that count can only bound it). ``republished``: the most extra
    copies one ``tracking.v1`` / ``sla.v1`` item may have (a relay that dies between
    publishing and marking publishes its batch again: once per death); None: any number
    (an outbox republishing everything after the broker lost it, while its relay runs).
    ``at_risk``: orders whose input the embedded broker may have lost: their items may be
    lost or unexpected, each named."""

    duplicated: int | range = 0
    republished: int | None = 0
    at_risk: frozenset[str] = frozenset()


def check(report: Report, limits: Limits) -> None:
    """Assert ``report`` within ``limits``; the message is the whole report."""
    problems = []
    for tally in report.parts:
        lost = [k for k in tally.lost if k[0] not in limits.at_risk]
        unexpected = [k for k in tally.unexpected if k[0] not in limits.at_risk]
        if lost or unexpected:
            problems.append(f"{tally.part}: {len(lost)} lost, {len(unexpected)} unexpected")
    allowed, copies = limits.duplicated, report.messages.copies
    if copies != allowed if isinstance(allowed, int) else copies not in allowed:
        limit = f"exactly {allowed}" if isinstance(allowed, int) else f"at most {allowed[-1]}"
        problems.append(f"messages: {copies} duplicated, the limit is {limit}")
    if max(report.messages.duplicated.values(), default=0) > 1:
        problems.append("messages: one sent three times or more (the window allows twice)")
    for tally in (report.sla, report.tracking):
        most = max(tally.duplicated.values(), default=0)
        if limits.republished is not None and most > limits.republished:
            problems.append(
                f"{tally.part}: an item {most + 1} times, the limit is {limits.republished + 1}"
            )
    assert not problems, "; ".join(problems) + "\n" + report.text()
