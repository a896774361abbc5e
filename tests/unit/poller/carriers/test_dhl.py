from pathlib import Path

import pytest

from services.poller.carriers.dhl.statuses import refine
from shared.contracts.statuses import TrackingStatus as S

from .golden import check, scenarios, statuses_covered


@pytest.mark.parametrize("fixture", scenarios("dhl"), ids=lambda p: p.stem)
def test_golden(fixture: Path) -> None:
    check("dhl", fixture)


def test_golden_files_cover_every_status_dhl_can_give() -> None:
    assert {s.value for s in S if s is not S.CANCELLED} <= statuses_covered("dhl")


@pytest.mark.parametrize(
    ("code", "text", "status"),
    [
        ("transit", "OUT FOR DELIVERY", S.OUT_FOR_DELIVERY),
        ("transit", "ARRIVED AT HUB", S.IN_TRANSIT),
        ("unknown", "LABEL CREATED", S.LABEL_CREATED),
        ("unknown", "SOMETHING", S.UNKNOWN),
        ("pre-transit", "DROPPED AT SERVICE POINT", S.LABEL_CREATED),
        ("transit", "IN PARCEL LOCKER", S.AVAILABLE_FOR_PICKUP),
        ("delivered", "DELIVERED - PARCEL LOCKER", S.DELIVERED),
        ("failure", "DELIVERY ATTEMPTED", S.DELIVERY_ATTEMPTED),
        ("failure", "DAMAGED", S.EXCEPTION),
        ("transit", "RETURNED TO SHIPPER", S.RETURNED_TO_SENDER),
    ],
)
def test_coarse_code_is_refined_by_text(code: str, text: str, status: S) -> None:
    assert refine(code, text) is status
