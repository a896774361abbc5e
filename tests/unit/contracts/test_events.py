"""Event contracts: round trips, clear rejections, committed schemas."""

import json
from pathlib import Path

import pytest

from shared.contracts.envelope import InvalidEvent, decode, new_event
from shared.contracts.events import EVENT_TYPES
from shared.contracts.schemas import event_schemas, render
from tests.support.events import PLACED_AT, one_of_each, order_placed

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events"


def test_samples_cover_every_event_type() -> None:
    assert sorted(type(e).event_type for e in one_of_each()) == sorted(
        m.event_type for m in EVENT_TYPES
    )


@pytest.mark.parametrize("data", one_of_each(), ids=lambda d: type(d).event_type)
def test_every_event_round_trips_through_json(data: object) -> None:
    event = new_event(data, "tests")  # type: ignore[type-var]
    decoded = decode(event.to_json())
    assert decoded == event
    assert type(decoded.data) is type(data)
    assert decoded.subject == decoded.data.order_id
    assert decoded.key == decoded.data.order_id.encode()


def _placed_json() -> dict[str, object]:
    return json.loads(new_event(order_placed(), "tests").to_json())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda e: e["data"]["customer"].update(email="not-an-email"), "data.customer.email"),
        (lambda e: e["data"].update(placed_at="2026-11-23T10:00:00"), "data.placed_at"),
        (lambda e: e["data"]["seller"].update(time_zone="Mars/Olympus"), "data.seller.time_zone"),
        (lambda e: e["data"].update(items=[]), "data.items"),
        (lambda e: e["data"].pop("order_id"), "data.order_id"),
        (lambda e: e.update(specversion="0.3"), "specversion"),
        (lambda e: e.update(type="order.exploded"), "type: unknown event type"),
        (lambda e: e.update(subject="someone-else"), "subject must equal data.order_id"),
    ],
)
def test_malformed_events_are_rejected_naming_the_field(change: object, named: str) -> None:
    event = _placed_json()
    change(event)  # type: ignore[operator]
    with pytest.raises(InvalidEvent, match=named.replace(".", r"\.")):
        decode(json.dumps(event))


def test_non_json_is_rejected_clearly() -> None:
    with pytest.raises(InvalidEvent, match="Invalid JSON"):
        decode(b"\xff\xfe not json")


def test_timestamps_are_normalized_to_utc() -> None:
    event = _placed_json()
    event["data"]["placed_at"] = "2026-11-23T10:00:00-05:00"  # type: ignore[index]
    assert decode(json.dumps(event)).data.placed_at == PLACED_AT


def test_committed_schemas_match_the_models() -> None:
    expected = {f"{name}.json": render(schema) for name, schema in event_schemas().items()}
    committed = {p.name: p.read_text() for p in DOCS.glob("*.json")}
    assert committed.keys() == expected.keys(), "run `make schemas`"
    drifted = sorted(n for n in expected if committed[n] != expected[n])
    assert not drifted, f"schemas drifted from the models: {drifted}; run `make schemas`"
