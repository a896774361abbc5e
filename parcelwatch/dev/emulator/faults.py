"""Failure modes chosen by scenario and by how many requests a number has had."""

from enum import Enum

from parcelwatch.dev.emulator.scenarios import Scenario


class Fault(Enum):
    """A failure the emulator answers with instead of tracking data (the HTTP status)."""

    RATE_LIMITED = 429
    SERVER_ERROR = 500
    UNAVAILABLE = 503
    TOKEN_EXPIRED = 401
    UNKNOWN_ERROR = 400


class Spoil(Enum):
    """A good answer delivered badly."""

    SLOW_DRIP = "slow_drip"
    """Headers at once, then the body in small pieces over ``drip_seconds``."""
    HUGE_BODY = "huge_body"
    """The answer padded to ``huge_bytes``, streamed without a ``Content-Length``."""
    INVALID_JSON = "invalid_json"
    """The first half of the answer: ``application/json`` that does not parse."""


_SPOILS = {
    Scenario.SLOW_DRIP: Spoil.SLOW_DRIP,
    Scenario.HUGE_BODY: Spoil.HUGE_BODY,
    Scenario.INVALID_JSON: Spoil.INVALID_JSON,
}


def fault_for(
    scenario: Scenario, request: int, *, spoiled: int = 2, outage: int = 6
) -> Fault | Spoil | None:
    """The failure of the ``request``-th request (from 1) for a number of ``scenario``.

    rate_limited: requests 1-3 of every 4 get 429; server_error: 500 then 503, every
    third succeeds; expired_token: every second request finds its token expired;
    token_storm: the first request expires the token it presents; server_outage:
    requests 1 to ``outage`` get 500; slow_drip, huge_body, invalid_json and
    unknown_error spoil requests 1 to ``spoiled``.
    """
    if scenario is Scenario.RATE_LIMITED and request % 4:
        return Fault.RATE_LIMITED
    if scenario is Scenario.SERVER_ERROR and request % 3:
        return Fault.SERVER_ERROR if request % 3 == 1 else Fault.UNAVAILABLE
    if scenario is Scenario.EXPIRED_TOKEN and request % 2 == 0:
        return Fault.TOKEN_EXPIRED
    if scenario is Scenario.TOKEN_STORM and request == 1:
        return Fault.TOKEN_EXPIRED
    if scenario is Scenario.SERVER_OUTAGE and request <= outage:
        return Fault.SERVER_ERROR
    if request > spoiled:
        return None
    if scenario is Scenario.UNKNOWN_ERROR:
        return Fault.UNKNOWN_ERROR
    return _SPOILS.get(scenario)
