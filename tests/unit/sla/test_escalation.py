from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.sla.escalation import Escalation, next_escalation
from services.sla.rules import SlaRules
from shared.contracts.events import Severity


def test_next_escalation_goes_to_ops_after_escalate_after() -> None:
    raised = datetime.fromisoformat("2026-11-25T06:00:00+00:00")
    assert next_escalation(Severity.SELLER, raised, SlaRules()) == Escalation(
        Severity.OPS, datetime.fromisoformat("2026-11-26T06:00:00+00:00")
    )


def test_next_escalation_is_none_when_already_at_ops() -> None:
    raised = datetime.fromisoformat("2026-11-25T06:00:00+00:00")
    assert next_escalation(Severity.OPS, raised, SlaRules()) is None


def test_next_escalation_honours_escalate_after_setting() -> None:
    raised = datetime.fromisoformat("2026-11-25T06:00:00+00:00")
    rules = SlaRules(escalate_after=timedelta(hours=4))
    escalation = next_escalation(Severity.SELLER, raised, rules)
    assert escalation is not None
    assert escalation.due_at.isoformat() == "2026-11-25T10:00:00+00:00"


def test_next_escalation_counts_elapsed_time_when_clocks_go_forward() -> None:
    raised = datetime(2026, 3, 7, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    escalation = next_escalation(Severity.SELLER, raised, SlaRules())
    assert escalation is not None
    assert escalation.due_at.isoformat() == "2026-03-08T13:00:00-04:00"
