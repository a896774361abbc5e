"""The AsyncAPI documents in docs/asyncapi/: what each service consumes and publishes,
generated from the services' specs and checked for drift."""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from parcelwatch.asyncapi import asyncapi, document, render
from parcelwatch.registry import SERVICES
from shared.contracts import topics
from shared.contracts.events import EVENT_TYPES

DOCS = Path(__file__).resolve().parents[3] / "docs" / "asyncapi"


def _operations(doc: dict[str, Any], action: str) -> dict[str, dict[str, Any]]:
    """Channels of the ``send`` or ``receive`` operations, by channel name."""
    names = [
        op["channel"]["$ref"].removeprefix("#/channels/")
        for op in doc["operations"].values()
        if op["action"] == action
    ]
    return {name: doc["channels"][name] for name in names}


def _payload_models(doc: dict[str, Any], channel: dict[str, Any]) -> set[str]:
    """The event models whose CloudEvent a channel's message carries (one, or any of)."""
    (message,) = channel["messages"].values()
    payload = doc["components"]["messages"][message["$ref"].rsplit("/", 1)[1]]["payload"]
    name = unquote(payload["$ref"].rsplit("/", 1)[1])
    refs = doc["components"]["schemas"][name].get("anyOf", [payload])
    names = {unquote(ref["$ref"].rsplit("/", 1)[1]) for ref in refs}
    models = [re.fullmatch(r"CloudEvent[\[_](\w+?)[\]_]", n) for n in names]
    assert all(models), names
    return {m.group(1) for m in models if m}


def test_committed_documents_match_the_code() -> None:
    expected = {f"{name}.json": render(document(name)) for name in SERVICES}
    committed = {p.name: p.read_text() for p in DOCS.glob("*.json")}
    assert committed.keys() == expected.keys(), "run `parcelwatch asyncapi`"
    drifted = sorted(n for n in expected if committed[n] != expected[n])
    assert not drifted, f"AsyncAPI documents drifted: {drifted}; run `parcelwatch asyncapi`"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_event_type_the_service_produces_is_a_documented_message(service: str) -> None:
    (produced,) = {model.topic for model in SERVICES[service].publishes}
    doc = document(service)
    sent = {n: c for n, c in _operations(doc, "send").items() if c["address"] == produced}
    expected = {m.event_type: m.__name__ for m in EVENT_TYPES if m.topic == produced}
    assert sent.keys() == expected.keys()
    for event_type, channel in sent.items():
        assert _payload_models(doc, channel) == {expected[event_type]}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_consumer_group_is_documented_with_its_dead_letter_topic(service: str) -> None:
    purposes = SERVICES[service].purposes
    doc = document(service)
    received = _operations(doc, "receive")
    assert {c["address"]: n for n, c in received.items()} == {
        topic: f"{service}.{purpose}" for topic, purpose in purposes.items()
    }
    dead_letters = {c["address"] for c in _operations(doc, "send").values()}
    assert {topics.dead_letter(topic) for topic in purposes} <= dead_letters


def test_a_consumer_documents_the_events_its_handlers_accept() -> None:
    doc = document("sla")
    channel = _operations(doc, "receive")["sla.tracking"]
    assert _payload_models(doc, channel) == {
        "TrackingEvent",
        "TrackingStatusChanged",
        "TrackingNumberInvalid",
    }
    assert "`tracking.event`, `tracking.status_changed`" in channel["description"]


def test_the_check_fails_on_a_stale_document(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(asyncapi, ["--out", str(tmp_path)]).exit_code == 0
    assert runner.invoke(asyncapi, ["--out", str(tmp_path), "--check"]).exit_code == 0
    stale = tmp_path / "poller.json"
    stale.write_text(json.dumps({"asyncapi": "3.0.0"}))
    result = runner.invoke(asyncapi, ["--out", str(tmp_path), "--check"])
    assert result.exit_code != 0
    assert "poller.json" in result.output
