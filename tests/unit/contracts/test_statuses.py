"""The derived status never moves backwards."""

import pytest

from shared.contracts.statuses import TrackingStatus, advances, is_shipped


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (None, TrackingStatus.LABEL_CREATED, True),
        (None, TrackingStatus.UNKNOWN, True),
        (TrackingStatus.UNKNOWN, TrackingStatus.IN_TRANSIT, True),
        (TrackingStatus.LABEL_CREATED, TrackingStatus.IN_TRANSIT, True),
        (TrackingStatus.IN_TRANSIT, TrackingStatus.LABEL_CREATED, False),
        (TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.IN_TRANSIT, False),
        (TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.DELIVERY_ATTEMPTED, True),
        (TrackingStatus.DELIVERY_ATTEMPTED, TrackingStatus.OUT_FOR_DELIVERY, True),
        (TrackingStatus.DELIVERED, TrackingStatus.IN_TRANSIT, False),
        (TrackingStatus.DELIVERED, TrackingStatus.OUT_FOR_DELIVERY, False),
        (TrackingStatus.DELIVERED, TrackingStatus.EXCEPTION, False),
        (TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER, True),
        (TrackingStatus.IN_TRANSIT, TrackingStatus.EXCEPTION, True),
        (TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.EXCEPTION, True),
        (TrackingStatus.EXCEPTION, TrackingStatus.IN_TRANSIT, True),
        (TrackingStatus.EXCEPTION, TrackingStatus.DELIVERED, True),
        (TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.DELIVERED, False),
        (TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.IN_TRANSIT, False),
        (TrackingStatus.IN_TRANSIT, TrackingStatus.UNKNOWN, False),
    ],
)
def test_advances(current: TrackingStatus | None, new: TrackingStatus, expected: bool) -> None:
    assert advances(current, new) is expected


def test_shipped_means_the_carrier_has_the_parcel() -> None:
    assert not is_shipped(TrackingStatus.LABEL_CREATED)
    assert not is_shipped(TrackingStatus.UNKNOWN)
    assert is_shipped(TrackingStatus.IN_TRANSIT)
    assert is_shipped(TrackingStatus.DELIVERED)
