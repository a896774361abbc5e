"""``decode`` refuses oversized, deeply nested, NUL-carrying and non-UTF-8 input as invalid."""

import json

import pytest

from shared.contracts.envelope import MAX_EVENT_BYTES, InvalidEvent, decode, new_event
from tests.support.events import order_placed


def envelope(data: object) -> bytes:
    return json.dumps(
        {"specversion": "1.0", "id": "e-1", "type": "order.placed", "data": data}
    ).encode()


def test_a_message_over_the_limit_is_invalid_before_parsing() -> None:
    raw = envelope({"padding": "x" * MAX_EVENT_BYTES})
    with pytest.raises(InvalidEvent, match="exceeds 1048576"):
        decode(raw)
    with pytest.raises(InvalidEvent, match="exceeds"):
        decode(raw.decode())


def test_a_valid_event_near_the_limit_still_decodes() -> None:
    event = new_event(order_placed("o-1"), "tests")
    assert decode(event.to_json()) == event


@pytest.mark.parametrize("depth", [300, 100_000])
def test_deep_nesting_is_invalid_not_a_recursion_error(depth: int) -> None:
    raw = b'{"specversion":"1.0","id":"e","type":"order.placed","data":{"a":'
    raw += b"[" * depth + b"]" * depth + b"}}"
    with pytest.raises(InvalidEvent, match="recursion limit"):
        decode(raw)


def test_invalid_utf8_is_invalid() -> None:
    raw = new_event(order_placed("o-1"), "tests").to_json().replace(b"o-1", b"o-\xff\xfe", 1)
    with pytest.raises(InvalidEvent):
        decode(raw)


def test_a_nul_character_is_invalid_but_an_escaped_backslash_is_not() -> None:
    event = new_event(order_placed("o-1"), "tests")
    raw = json.loads(event.to_json())
    raw["data"]["customer"]["name"] = "Eve\x00"
    with pytest.raises(InvalidEvent, match="NUL character"):
        decode(json.dumps(raw))
    raw["data"]["customer"]["name"] = "C:\\u0000"  # a backslash, then the text "u0000"
    assert decode(json.dumps(raw)).data.customer.name == "C:\\u0000"  # type: ignore[attr-defined]
