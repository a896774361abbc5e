"""deploy/prometheus: promtool validates the config and rules, and runs the alert unit
tests; every alert reads only metrics the services export; scrape targets are real."""

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from parcelwatch.catalogue import exported_series
from parcelwatch.registry import SERVICES
from tests.support.promql import metric_names
from tests.support.tools import require

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"


def _promtool(*args: str) -> str:
    done = subprocess.run([require("promtool"), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_config_is_valid_and_loads_the_rules() -> None:
    out = _promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert "1 rule files found" in out


def test_rules_are_valid() -> None:
    _promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))


def test_alerts_fire_as_their_unit_tests_expect() -> None:
    _promtool("test", "rules", str(Path(__file__).parent / "alerts_test.yml"))


def test_alerts_read_only_metrics_the_services_export(rules: list[dict[str, Any]]) -> None:
    exported = exported_series()
    for rule in rules:
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= exported, f"{rule['alert']} reads unknown {sorted(names - exported)}"


def test_every_alert_is_labelled_and_explained(rules: list[dict[str, Any]]) -> None:
    for rule in rules:
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def test_each_service_is_scraped_at_its_compose_name_and_port() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    targets = {
        job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
        for job in config["scrape_configs"]
    }
    assert set(targets) == set(SERVICES)
    for name, entry in SERVICES.items():
        port = type(entry.settings()).model_fields["http_port"].default
        assert targets[name] == [f"{name}:{port}"]
        assert name in compose
