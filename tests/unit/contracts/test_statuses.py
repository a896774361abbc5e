"""The derived status never moves backwards."""

import pytest

from shared.contracts.statuses import TrackingStatus as S
from shared.contracts.statuses import advances, is_shipped


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (None, S.LABEL_CREATED, True),
        (None, S.UNKNOWN, True),
        (S.UNKNOWN, S.IN_TRANSIT, True),
        (S.LABEL_CREATED, S.IN_TRANSIT, True),
        (S.IN_TRANSIT, S.LABEL_CREATED, False),
        (S.OUT_FOR_DELIVERY, S.IN_TRANSIT, False),
        (S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED, True),
        (S.DELIVERY_ATTEMPTED, S.OUT_FOR_DELIVERY, True),
        (S.DELIVERED, S.IN_TRANSIT, False),
        (S.DELIVERED, S.OUT_FOR_DELIVERY, False),
        (S.DELIVERED, S.EXCEPTION, False),
        (S.DELIVERED, S.RETURNED_TO_SENDER, True),
        (S.IN_TRANSIT, S.EXCEPTION, True),
        (S.OUT_FOR_DELIVERY, S.EXCEPTION, True),
        (S.EXCEPTION, S.IN_TRANSIT, True),
        (S.EXCEPTION, S.DELIVERED, True),
        (S.RETURNED_TO_SENDER, S.DELIVERED, False),
        (S.RETURNED_TO_SENDER, S.IN_TRANSIT, False),
        (S.IN_TRANSIT, S.UNKNOWN, False),
    ],
)
def test_advances(current: S | None, new: S, expected: bool) -> None:
    assert advances(current, new) is expected


def test_shipped_means_the_carrier_has_the_parcel() -> None:
    assert not is_shipped(S.LABEL_CREATED)
    assert not is_shipped(S.UNKNOWN)
    assert is_shipped(S.IN_TRANSIT)
    assert is_shipped(S.DELIVERED)
