"""JSON Schema of every event (envelope included), as published in ``docs/events/``."""

import json
from typing import Any

from shared.contracts.envelope import CloudEvent
from shared.contracts.events import EVENT_TYPES


def event_schemas() -> dict[str, dict[str, Any]]:
    """``{event type: JSON Schema of the whole CloudEvent}`` for every event type."""
    schemas: dict[str, dict[str, Any]] = {}
    for model in EVENT_TYPES:
        schema = CloudEvent[model].model_json_schema()  # type: ignore[valid-type]
        schema["title"] = model.event_type
        schema["description"] = (model.__doc__ or "").strip()
        schema["properties"]["type"]["const"] = model.event_type
        schema["x-topic"] = model.topic
        schemas[model.event_type] = schema
    return schemas


def render(schema: dict[str, Any]) -> str:
    """The committed text form of a schema (stable key order, trailing newline)."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
