"""docker-compose.yml, checked without a Docker engine: references, commands, settings."""

import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from parcelwatch.cli import main as cli
from parcelwatch.dev.emulator.settings import EmulatorSettings
from parcelwatch.dev.simulator.runner import SimulatorSettings
from parcelwatch.registry import SERVICES
from tests.support.settings import env_names

ROOT = Path(__file__).resolve().parents[2]


SERVICE_SETTINGS = {name: env_names(type(e.settings())) for name, e in SERVICES.items()}
SETTINGS: dict[str, set[str]] = {
    **SERVICE_SETTINGS,
    "setup": set().union(*SERVICE_SETTINGS.values()),  # topics, then every service's migrations
    "carriers": env_names(EmulatorSettings),
    "simulator": env_names(SimulatorSettings),
}
"""What each of our processes reads from its environment."""


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def _ours(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if "build" in s}


def _cli_command(args: list[str]) -> click.Command:
    """The CLI command ``args`` name, its options parsed (a usage error fails the test)."""
    command: click.Command = cli
    rest = list(args)
    while isinstance(command, click.Group):
        name = rest.pop(0)
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"no command {name!r} in {args}"
        command = found
    command.make_context(command.name or "", rest)
    return command


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if "image" in service:
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", service["image"]), name
            assert not service["image"].endswith(":latest"), name


def test_the_whole_system_is_there(compose: dict[str, Any]) -> None:
    images = {s["image"].split(":")[0] for s in compose["services"].values() if "image" in s}
    assert images == {
        "apache/kafka",
        "postgres",
        "axllent/mailpit",
        "prom/prometheus",
        "grafana/grafana",
    }
    assert set(_ours(compose)) == set(SETTINGS)


def test_our_services_build_from_the_dockerfile_and_run_real_commands(
    compose: dict[str, Any],
) -> None:
    dockerfile = ROOT / "deploy" / "Dockerfile"
    for service in _ours(compose).values():
        assert (ROOT / service["build"]["context"] / service["build"]["dockerfile"]) == dockerfile
    for line in dockerfile.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    stages = re.findall(r"^FROM \S+ AS (\w+)$", dockerfile.read_text(), re.MULTILINE)
    for name, service in _ours(compose).items():
        # Only the emulator and the simulator run the development tools' image.
        uses_dev_tools = service.get("command", [""])[0] == "dev"
        assert service["build"]["target"] == ("dev" if uses_dev_tools else "production"), name
        assert service["build"]["target"] in stages, name
    for name in SERVICES:
        assert compose["services"][name]["command"] == ["run", name]
    for service in _ours(compose).values():
        if "command" in service:
            _cli_command(service["command"])
    assert _cli_command(compose["services"]["carriers"]["command"]).name == "carriers"
    assert _cli_command(compose["services"]["simulator"]["command"]).name == "simulate"
    setup = " ".join(compose["services"]["setup"]["entrypoint"])
    for word in re.findall(r"parcelwatch (\w+)", setup):
        _cli_command([word])


def test_environment_names_are_real_settings(compose: dict[str, Any]) -> None:
    for name, service in _ours(compose).items():
        assert set(service["environment"]) <= SETTINGS[name], name


def test_every_process_shares_one_accelerated_clock(compose: dict[str, Any]) -> None:
    clocks = {
        (service["environment"]["CLOCK_SCALE"], service["environment"]["CLOCK_ORIGIN"])
        for service in _ours(compose).values()
    }
    ((scale, origin),) = clocks
    assert float(scale) > 1
    assert origin.startswith("${CLOCK_ORIGIN:?")


def test_the_emulator_and_mailpit_stand_in_for_carriers_and_smtp(compose: dict[str, Any]) -> None:
    services = compose["services"]
    emulator = services["carriers"]["command"]
    url = f"http://carriers:{emulator[emulator.index('--port') + 1]}"
    poller = services["poller"]["environment"]
    for carrier in ("UPS", "FEDEX", "USPS", "DHL"):
        assert poller[f"{carrier}_BASE_URL"] == url
    notifier = services["notifier"]["environment"]
    assert (notifier["SMTP_HOST"], notifier["SMTP_PORT"], notifier["SMTP_SECURITY"]) == (
        "mailpit",
        "1025",
        "none",
    )


def test_mounted_files_exist_where_prometheus_and_grafana_read_them(
    compose: dict[str, Any],
) -> None:
    mounts: dict[str, str] = {}
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source, target, *_ = volume.split(":")
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
                mounts[target] = source
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    for rules in prometheus["rule_files"]:
        assert f"/etc/prometheus/{rules}" in mounts
    assert mounts["/etc/prometheus/prometheus.yml"] == "./deploy/prometheus/prometheus.yml"
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/dashboards.yml").read_text()
    )["providers"][0]
    assert mounts[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    home = Path(
        compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    )
    assert (ROOT / mounts[str(home.parent)] / home.name).exists()


def test_dependencies_exist_and_wait_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency
    for name, service in services.items():
        if name not in {"setup", "simulator"}:
            assert "healthcheck" in service, name
    assert set(services["simulator"]["depends_on"]) >= set(SERVICES)


def test_published_ports_are_distinct_and_match_the_settings(compose: dict[str, Any]) -> None:
    published = [p.split(":")[0] for s in compose["services"].values() for p in s.get("ports", [])]
    assert len(published) == len(set(published))
    for name, entry in SERVICES.items():
        port = type(entry.settings()).model_fields["http_port"].default
        assert compose["services"][name]["ports"] == [f"{port}:{port}"]
