"""Carrier-independent shipment lifecycles: which scans happen when, in emulated hours.

A script starts when the emulator first sees a number; :func:`journey` says what the
carrier knows at a given emulated instant. Carriers render the steps in their own codes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum

from parcelwatch.dev.emulator.scenarios import Scenario


class Step(StrEnum):
    """What happened to the parcel, before any carrier wording."""

    LABEL = "label"
    PICKUP = "pickup"
    DEPART = "depart"
    ARRIVE = "arrive"
    DELAY = "delay"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ATTEMPTED = "attempted"  # the driver could not hand it over; tries again
    REDIRECTED = "redirected"  # could not hand it over; sent to a pickup point instead
    DELIVERED = "delivered"
    READY_FOR_PICKUP = "ready_for_pickup"
    COLLECTED = "collected"
    ADDRESS_PROBLEM = "address_problem"
    LOST = "lost"
    DAMAGED = "damaged"
    RETURNED = "returned"


class Place(Enum):
    """Where a step happens; each carrier names its own sites."""

    ORIGIN = "origin"
    HUB = "hub"
    DESTINATION = "destination"


@dataclass(frozen=True, slots=True)
class Stop:
    """One scripted scan ``hours`` after the lifecycle started."""

    hours: float
    step: Step
    place: Place


@dataclass(frozen=True, slots=True)
class Script:
    """A lifecycle: its scans, the promised delivery (hours after start) and the signer."""

    stops: tuple[Stop, ...]
    eta_hours: float | None = None
    signer: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A scan that has happened, at an aware UTC instant."""

    step: Step
    place: Place
    at: datetime


@dataclass(frozen=True, slots=True)
class Journey:
    """What the carrier knows now: scans newest first, the estimate, the signer."""

    events: tuple[Event, ...]
    estimated: datetime | None
    signer: str | None

    @property
    def delivered(self) -> Event | None:
        """The delivery scan (to the door or collected at a pickup point), if any."""
        return next((e for e in self.events if e.step in DELIVERY_STEPS), None)


DELIVERY_STEPS = frozenset({Step.DELIVERED, Step.COLLECTED})


_O, _H, _D = Place.ORIGIN, Place.HUB, Place.DESTINATION
_FIRST_LEG = (
    Stop(0, Step.LABEL, _O),
    Stop(6, Step.PICKUP, _O),
    Stop(10, Step.DEPART, _O),
    Stop(30, Step.ARRIVE, _H),
)
_TO_DOOR = (
    Stop(36, Step.DEPART, _H),
    Stop(58, Step.ARRIVE, _D),
    Stop(64, Step.OUT_FOR_DELIVERY, _D),
    Stop(70, Step.DELIVERED, _D),
)
_ON_TIME = Script(_FIRST_LEG + _TO_DOOR, eta_hours=72, signer="K LEE")
_TWO_ATTEMPTS = (
    *_FIRST_LEG,
    *_TO_DOOR[:3],
    Stop(70, Step.ATTEMPTED, _D),
    Stop(88, Step.OUT_FOR_DELIVERY, _D),
    Stop(94, Step.ATTEMPTED, _D),
)

SCRIPTS: dict[Scenario, Script] = {
    Scenario.ON_TIME: _ON_TIME,
    Scenario.LATE: Script(
        (
            *_FIRST_LEG,
            Stop(50, Step.DELAY, _H),
            Stop(90, Step.DEPART, _H),
            Stop(112, Step.ARRIVE, _D),
            Stop(118, Step.OUT_FOR_DELIVERY, _D),
            Stop(124, Step.DELIVERED, _D),
        ),
        eta_hours=72,
        signer="K LEE",
    ),
    Scenario.LABEL_ONLY: Script(_FIRST_LEG[:1]),
    Scenario.NO_SCANS: Script(()),
    Scenario.STALLED: Script(_FIRST_LEG, eta_hours=72),
    Scenario.LOST: Script((*_FIRST_LEG, Stop(120, Step.LOST, _H)), eta_hours=72),
    Scenario.DAMAGED: Script((*_FIRST_LEG, Stop(34, Step.DAMAGED, _H)), eta_hours=72),
    Scenario.DISPUTED: Script(_FIRST_LEG + _TO_DOOR, eta_hours=72),
    Scenario.EXCEPTION_THEN_DELIVERED: Script(
        (
            *_FIRST_LEG,
            *_TO_DOOR[:2],
            Stop(64, Step.ADDRESS_PROBLEM, _D),
            Stop(86, Step.OUT_FOR_DELIVERY, _D),
            Stop(92, Step.DELIVERED, _D),
        ),
        eta_hours=96,
        signer="K LEE",
    ),
    Scenario.RETURNED: Script(
        (*_FIRST_LEG, *_TO_DOOR[:3], Stop(70, Step.RETURNED, _D)), eta_hours=72
    ),
    Scenario.PICKUP: Script(
        (
            *_FIRST_LEG,
            *_TO_DOOR[:2],
            Stop(64, Step.READY_FOR_PICKUP, _D),
            Stop(100, Step.COLLECTED, _D),
        ),
        eta_hours=72,
        signer="R PATEL",
    ),
    Scenario.INVALID: Script(()),
    **dict.fromkeys(
        (
            Scenario.RATE_LIMITED,
            Scenario.SERVER_ERROR,
            Scenario.SLOW,
            Scenario.EXPIRED_TOKEN,
            Scenario.SERVER_OUTAGE,
            Scenario.SLOW_DRIP,
            Scenario.HUGE_BODY,
            Scenario.INVALID_JSON,
            Scenario.UNKNOWN_ERROR,
            Scenario.TOKEN_STORM,
        ),
        _ON_TIME,
    ),
    Scenario.ATTEMPTED_THEN_DELIVERED: Script(
        (
            *_FIRST_LEG,
            *_TO_DOOR[:3],
            Stop(70, Step.ATTEMPTED, _D),
            Stop(88, Step.OUT_FOR_DELIVERY, _D),
            Stop(94, Step.DELIVERED, _D),
        ),
        eta_hours=72,
        signer="K LEE",
    ),
    Scenario.RETURNED_AFTER_ATTEMPT: Script(
        (*_TWO_ATTEMPTS, Stop(110, Step.RETURNED, _D)), eta_hours=72
    ),
    Scenario.REDIRECTED_TO_PICKUP: Script(
        (
            *_FIRST_LEG,
            *_TO_DOOR[:3],
            Stop(70, Step.REDIRECTED, _D),
            Stop(80, Step.READY_FOR_PICKUP, _D),
            Stop(110, Step.COLLECTED, _D),
        ),
        eta_hours=72,
        signer="R PATEL",
    ),
    Scenario.REATTEMPTED: Script(
        (*_TWO_ATTEMPTS, Stop(112, Step.OUT_FOR_DELIVERY, _D), Stop(118, Step.DELIVERED, _D)),
        eta_hours=72,
        signer="K LEE",
    ),
}
"""Every scenario's script; the failure-mode scenarios deliver on time between failures."""


def journey(scenario: Scenario, started: datetime, now: datetime) -> Journey:
    """The scans of ``scenario`` made by ``now`` in a lifecycle begun at ``started``."""
    script = SCRIPTS[scenario]
    happened = [
        Event(stop.step, stop.place, started + timedelta(hours=stop.hours))
        for stop in script.stops
        if started + timedelta(hours=stop.hours) <= now
    ]
    estimated = started + timedelta(hours=script.eta_hours) if script.eta_hours else None
    delivered = any(e.step in DELIVERY_STEPS for e in happened)
    return Journey(tuple(reversed(happened)), estimated, script.signer if delivered else None)
