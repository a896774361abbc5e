"""docker-compose.yml, checked without a Docker engine: references, commands, settings."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from parcelwatch.cli import main as cli
from parcelwatch.registry import SERVICES

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {
    str(field.validation_alias or name).upper()
    for entry in SERVICES.values()
    for name, field in type(entry.settings()).model_fields.items()
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def _ours(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if "build" in s}


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if "image" in service:
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", service["image"]), name
            assert not service["image"].endswith(":latest"), name


def test_our_services_build_from_the_dockerfile_and_run_real_commands(
    compose: dict[str, Any],
) -> None:
    dockerfile = ROOT / "deploy" / "Dockerfile"
    for service in _ours(compose).values():
        assert (ROOT / service["build"]["context"] / service["build"]["dockerfile"]) == dockerfile
    for line in dockerfile.read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    for name in SERVICES:
        command = compose["services"][name]["command"]
        assert command == ["run", name]
        assert command[0] in cli.commands  # type: ignore[attr-defined]
    setup = " ".join(compose["services"]["setup"]["entrypoint"])
    for word in re.findall(r"parcelwatch (\w+)", setup):
        assert word in cli.commands, word  # type: ignore[attr-defined]


def test_environment_names_are_real_settings(compose: dict[str, Any]) -> None:
    for name, service in _ours(compose).items():
        assert set(service["environment"]) <= SETTINGS, name


def test_dependencies_exist_and_wait_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency
    for name in SERVICES:
        assert "healthcheck" in services[name]


def test_published_ports_are_distinct_and_match_the_settings(compose: dict[str, Any]) -> None:
    published = [p.split(":")[0] for s in compose["services"].values() for p in s.get("ports", [])]
    assert len(published) == len(set(published))
    for name, entry in SERVICES.items():
        port = type(entry.settings()).model_fields["http_port"].default
        assert compose["services"][name]["ports"] == [f"{port}:{port}"]
