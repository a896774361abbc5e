"""Topic names. Handlers refer to these constants, never to literals."""

from typing import Final

ORDERS: Final = "orders.v1"
TRACKING: Final = "tracking.v1"
SLA: Final = "sla.v1"
NOTIFICATIONS: Final = "notifications.v1"

ALL: Final = (ORDERS, TRACKING, SLA, NOTIFICATIONS)

DLQ_SUFFIX: Final = ".dlq"


def dead_letter(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return f"{topic}{DLQ_SUFFIX}"


def all_with_dead_letters() -> tuple[str, ...]:
    """Every topic the system uses, dead-letter topics included."""
    return ALL + tuple(dead_letter(t) for t in ALL)
