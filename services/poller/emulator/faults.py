"""Failure modes chosen by scenario and by how many requests a number has had."""

from enum import Enum

from services.poller.emulator.scenarios import Scenario


class Fault(Enum):
    """A failure the emulator answers with instead of tracking data."""

    RATE_LIMITED = 429
    SERVER_ERROR = 500
    UNAVAILABLE = 503
    TOKEN_EXPIRED = 401


def fault_for(scenario: Scenario, request: int) -> Fault | None:
    """The failure of the ``request``-th request (from 1) for a number of ``scenario``.

    rate_limited: requests 1-3 of every 4 get 429; server_error: 500 then 503, every
    third succeeds; expired_token: every second request finds its token expired.
    """
    if scenario is Scenario.RATE_LIMITED and request % 4:
        return Fault.RATE_LIMITED
    if scenario is Scenario.SERVER_ERROR and request % 3:
        return Fault.SERVER_ERROR if request % 3 == 1 else Fault.UNAVAILABLE
    if scenario is Scenario.EXPIRED_TOKEN and request % 2 == 0:
        return Fault.TOKEN_EXPIRED
    return None
