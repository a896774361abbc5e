"""Which lifecycle a tracking number follows: the scenario is written into the number.

Every number made by :func:`number_for` passes the project's own validation for its
carrier (format and check digit) and carries a two-digit scenario code ``cc`` and a
serial ``s`` (``C`` is the check digit):

- ups: ``1ZEMUcc003sssssssC`` (UPS ``1Z``, mod 10)
- fedex: ``78ccsssssssC`` (FedEx 12 digits, weighted mod 11)
- usps: ``940011cc999ssssssssssC`` (USPS IMpb, 22 digits, reversed mod 10)
- dhl: ``9ccsssssssC`` (DHL Express, 11 digits, mod 7)

A number that does not follow the scheme is on time.
"""

import re
from enum import StrEnum

from services.poller.carriers.registry import tracking_numbers
from services.poller.tracking_numbers import compact


class Scenario(StrEnum):
    """Scripted lifecycles and failure modes; the order gives the two-digit code."""

    ON_TIME = "on_time"
    LATE = "late"
    LABEL_ONLY = "label_only"
    NO_SCANS = "no_scans"
    STALLED = "stalled"
    LOST = "lost"
    DAMAGED = "damaged"
    DISPUTED = "disputed"
    EXCEPTION_THEN_DELIVERED = "exception_then_delivered"
    RETURNED = "returned"
    PICKUP = "pickup"
    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    SLOW = "slow"
    EXPIRED_TOKEN = "expired_token"  # noqa: S105 - a scenario name
    ATTEMPTED_THEN_DELIVERED = "attempted_then_delivered"
    SERVER_OUTAGE = "server_outage"
    SLOW_DRIP = "slow_drip"
    HUGE_BODY = "huge_body"
    INVALID_JSON = "invalid_json"
    UNKNOWN_ERROR = "unknown_error"
    TOKEN_STORM = "token_storm"  # noqa: S105 - a scenario name
    RETURNED_AFTER_ATTEMPT = "returned_after_attempt"
    REDIRECTED_TO_PICKUP = "redirected_to_pickup"
    REATTEMPTED = "reattempted"

    @property
    def code(self) -> int:
        """The two digits written into the number (append new scenarios at the end)."""
        return list(Scenario).index(self)


MAX_SERIAL = 9_999_999

_TEMPLATES = {
    "ups": ("1ZEMU{code:02d}003{serial:07d}", re.compile(r"1ZEMU(\d\d)003\d{7}\d")),
    "fedex": ("78{code:02d}{serial:07d}", re.compile(r"78(\d\d)\d{7}\d")),
    "usps": ("940011{code:02d}999{serial:010d}", re.compile(r"940011(\d\d)999\d{10}\d")),
    "dhl": ("9{code:02d}{serial:07d}", re.compile(r"9(\d\d)\d{7}\d")),
}
CARRIERS = tuple(_TEMPLATES)


def number_for(carrier: str, scenario: Scenario, serial: int) -> str:
    """A valid ``carrier`` tracking number that follows ``scenario``; serials tell numbers apart."""
    if carrier not in _TEMPLATES:
        raise ValueError(f"unknown carrier {carrier!r}; expected one of {', '.join(CARRIERS)}")
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be within 0..{MAX_SERIAL}")
    body = _TEMPLATES[carrier][0].format(code=scenario.code, serial=serial)
    for digit in "0123456789":
        if tracking_numbers().validate(carrier, body + digit) is None:
            return body + digit
    raise AssertionError(f"no check digit makes {body} a valid {carrier} number")


def scenario_of(carrier: str, number: str) -> Scenario:
    """The scenario written into ``number``; on time for numbers outside the scheme."""
    template = _TEMPLATES.get(carrier)
    found = template[1].fullmatch(compact(number)) if template else None
    scenarios = list(Scenario)
    if found is None or int(found[1]) >= len(scenarios):
        return Scenario.ON_TIME
    return scenarios[int(found[1])]
