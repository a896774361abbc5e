"""The watermark's pure parts: which partitions hold verdicts back, and how far."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.infra.watermark import Position, event_time, held_at

T = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_the_earliest_first_unprocessed_event_of_the_partitions_behind_holds() -> None:
    positions = [
        Position(7, 7, T - timedelta(days=1)),  # caught up: its time does not count
        Position(3, 9, T + timedelta(minutes=5)),
        Position(0, 4, T),
        Position(2, 5, None),  # behind, but no valid time in reach: not counted
    ]
    assert held_at(positions) == T


def test_nothing_holds_when_every_partition_is_caught_up() -> None:
    assert held_at([Position(4, 4), Position(0, 0)]) is None
    assert held_at([]) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b'{"time": "2026-11-23T15:00:00Z", "id": "e-1"}', T),
        (b'{"time": "2026-11-23T16:00:00+01:00"}', T),
        (b'{"time": "2026-11-23T15:00:00"}', None),  # no offset: not an instant
        (b'{"time": "yesterday"}', None),
        (b'{"time": 12}', None),
        (b'{"id": "e-1"}', None),
        (b"[1, 2]", None),
        (b"not json", None),
        (b"\xff\xfe", None),
        (b"", None),
        (None, None),
    ],
)
def test_event_time_reads_the_cloudevents_time_or_nothing(
    value: bytes | None, expected: datetime | None
) -> None:
    assert event_time(value) == expected
