"""Escalation tiers: a breach still open goes from the seller to operations."""

from datetime import datetime
from typing import NamedTuple

from services.sla.localtime import shift
from services.sla.rules import SlaRules
from shared.contracts.events import Severity

TIERS: tuple[Severity, ...] = (Severity.SELLER, Severity.OPS)
"""Tiers in escalation order; a breach is first raised at the first one."""


class Escalation(NamedTuple):
    """The next tier of a breach and when it is due."""

    severity: Severity
    due_at: datetime


def next_escalation(current: Severity, raised_at: datetime, rules: SlaRules) -> Escalation | None:
    """The escalation due if the breach raised at ``current`` tier is still open.

    ``None`` once the breach is at the top tier.
    """
    position = TIERS.index(current) + 1
    if position == len(TIERS):
        return None
    return Escalation(TIERS[position], shift(raised_at, rules.escalate_after))
