from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.sla.rules import SlaRules


def test_rules_defaults_are_the_published_policy() -> None:
    rules = SlaRules()
    assert rules.ship_cutoff_hour == 13
    assert (rules.ship_business_days, rules.ship_business_days_large) == (1, 2)
    assert rules.ship_detection_grace == timedelta(hours=2)
    assert rules.label_created_counts_as_shipped is False
    assert rules.confirmation_window == timedelta(minutes=30)
    assert rules.delivery_grace == timedelta(hours=2)
    assert rules.stall_business_days == 3
    assert rules.dispute_documents_business_days == 3
    assert rules.escalate_after == timedelta(hours=24)


def test_rules_parse_iso_durations_from_configuration() -> None:
    rules = SlaRules.model_validate({"ship_detection_grace": "PT90M", "ship_cutoff_hour": "14"})
    assert rules.ship_detection_grace == timedelta(minutes=90)
    assert rules.ship_cutoff_hour == 14


@pytest.mark.parametrize(
    "override",
    [
        {"ship_cutoff_hour": 25},
        {"ship_business_days": 0},
        {"ship_detection_grace": timedelta(minutes=-1)},
        {"stall_business_days": 0},
        {"ship_cut_off_hour": 12},
    ],
)
def test_rules_refuse_invalid_setting(override: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SlaRules.model_validate(override)


def test_rules_document_every_field() -> None:
    assert all(field.description for field in SlaRules.model_fields.values())
