"""deploy/grafana: provisioning points at the dashboards, the dashboards' PromQL is valid
(promtool) and reads only metrics the services export; docs/observability.md lists them all."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from parcelwatch.catalogue import exported_series, families
from tests.support.promql import metric_names
from tests.support.tools import require

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
BUILT_IN = {"up"}
"""Series Prometheus itself adds to every scrape."""


def _datasource_uid() -> str:
    provisioned = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
    (source,) = yaml.safe_load(provisioned.read_text())["datasources"]
    assert source["type"] == "prometheus"
    return str(source["uid"])


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def _queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression: panel targets, and the metrics of template variables."""
    queries = [t["expr"] for p in _panels(dashboard) for t in p["targets"]]
    for variable in dashboard["templating"]["list"]:
        match = re.fullmatch(r"label_values\((.+),\s*\w+\)", variable["query"]["query"])
        assert match, variable["name"]
        queries.append(match.group(1))
    return queries


@pytest.fixture(scope="module")
def dashboards() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in DASHBOARDS}


def test_the_five_dashboards_are_provisioned_with_distinct_uids(
    dashboards: dict[str, dict[str, Any]],
) -> None:
    assert set(dashboards) == {"pipeline", "carriers", "sla", "notifications", "analytics"}
    uids = [d["uid"] for d in dashboards.values()]
    assert len(set(uids)) == len(uids)
    (provider,) = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "dashboards.yml").read_text()
    )["providers"]
    assert provider["type"] == "file"


def test_every_panel_queries_the_provisioned_datasource(
    dashboards: dict[str, dict[str, Any]],
) -> None:
    uid = _datasource_uid()
    for name, dashboard in dashboards.items():
        panels = _panels(dashboard)
        assert panels, name
        assert len({p["id"] for p in panels}) == len(panels), name
        for panel in panels:
            assert panel["targets"], f"{name}: {panel['title']}"
            for source in [panel["datasource"], *(t["datasource"] for t in panel["targets"])]:
                assert source == {"type": "prometheus", "uid": uid}, f"{name}: {panel['title']}"


def test_dashboards_read_only_metrics_the_services_export(
    dashboards: dict[str, dict[str, Any]],
) -> None:
    known = exported_series() | BUILT_IN
    for name, dashboard in dashboards.items():
        for expr in _queries(dashboard):
            names = metric_names(expr)
            assert names, f"{name}: {expr}"
            assert names <= known, f"{name} reads unknown {sorted(names - known)}"


def test_dashboard_queries_are_valid_promql(
    dashboards: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """promtool parses each query as a recording rule (Grafana's variables substituted)."""
    rules = [
        {"record": f"dashboard:{name}:{i}", "expr": re.sub(r"\$\w+", "5m", expr)}
        for name, dashboard in dashboards.items()
        for i, expr in enumerate(_queries(dashboard))
    ]
    path = tmp_path / "dashboards.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = subprocess.run(
        [require("promtool"), "check", "rules", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_exported_metric_is_in_the_catalogue() -> None:
    catalogue = (GRAFANA.parents[1] / "docs" / "observability.md").read_text()
    for family in families():
        name = family.series[0] if family.type == "counter" else family.name
        generic = name.replace(f"parcelwatch_{family.service}_", "parcelwatch_<service>_")
        assert f"`{name}`" in catalogue or f"`{generic}`" in catalogue, name
