from datetime import datetime

from services.sla.tracking import status_description
from shared.contracts.events import TrackingEvent
from shared.contracts.statuses import TrackingStatus


def scan(status: TrackingStatus, occurred_at: str, description: str) -> TrackingEvent:
    return TrackingEvent(
        order_id="o-1",
        shipment_id="s-1",
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        fingerprint=f"fp-{status}-{occurred_at}",
        status=status,
        carrier_code="X",
        description=description,
        occurred_at=datetime.fromisoformat(occurred_at),
        observed_at=datetime.fromisoformat("2026-11-30T00:00:00+00:00"),
    )


def test_status_description_is_the_text_of_the_latest_scan_with_the_status() -> None:
    scans = [
        scan(TrackingStatus.EXCEPTION, "2026-11-24T18:00:00+00:00", "Damaged, repackaged"),
        scan(TrackingStatus.IN_TRANSIT, "2026-11-24T20:00:00+00:00", "Departed"),
        scan(TrackingStatus.EXCEPTION, "2026-11-24T12:00:00+00:00", "Held"),
    ]
    assert status_description(scans, TrackingStatus.EXCEPTION) == "Damaged, repackaged"


def test_status_description_is_none_before_any_scan() -> None:
    assert status_description([], None) is None
