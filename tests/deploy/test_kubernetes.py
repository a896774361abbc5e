"""The Kubernetes manifests render with kustomize and validate against the schemas."""

import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from parcelwatch.registry import SERVICES
from shared.contracts.topics import all_with_dead_letters
from tests.support.settings import env_names
from tests.support.tools import require

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33.0"
SETTINGS = set().union(*(env_names(type(entry.settings())) for entry in SERVICES.values()))


def _render(target: str) -> list[dict[str, Any]]:
    kubectl = require("kubectl")
    out = subprocess.run(
        [kubectl, "kustomize", str(K8S / target)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def resources(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return _render(request.param)


def _of_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def test_every_resource_is_valid_for_kubernetes(resources: list[dict[str, Any]]) -> None:
    for resource in resources:
        if resource["apiVersion"].startswith("kafka.strimzi.io/"):
            continue
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_each_service_has_a_deployment_with_probes_resources_and_graceful_stop(
    resources: list[dict[str, Any]],
) -> None:
    deployments = _of_kind(resources, "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["args"] == ["run", name]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert pod["terminationGracePeriodSeconds"] >= 45
        port = {e["name"]: e.get("value") for e in container["env"]}[f"{name.upper()}_HTTP_PORT"]
        assert container["ports"][0]["containerPort"] == int(port)
        assert {e["name"] for e in container["env"]} <= SETTINGS


def test_each_service_scales_with_an_autoscaler_and_a_disruption_budget(
    resources: list[dict[str, Any]],
) -> None:
    partitions = min(
        t["spec"]["partitions"]
        for t in _of_kind(resources, "KafkaTopic").values()
        if not t["spec"]["topicName"].endswith(".dlq")
    )
    autoscalers = _of_kind(resources, "HorizontalPodAutoscaler")
    assert set(autoscalers) == set(SERVICES) == set(_of_kind(resources, "PodDisruptionBudget"))
    for hpa in autoscalers.values():
        assert 1 < hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= partitions


def test_topics_cover_every_contract_topic(resources: list[dict[str, Any]]) -> None:
    topics = _of_kind(resources, "KafkaTopic").values()
    assert sorted(t["spec"]["topicName"] for t in topics) == sorted(all_with_dead_letters())
    for topic in topics:
        assert topic["metadata"]["labels"]["strimzi.io/cluster"]
        assert topic["spec"]["partitions"] >= 1
        assert topic["spec"]["replicas"] >= 1


def test_config_map_sets_only_real_settings(resources: list[dict[str, Any]]) -> None:
    config = _of_kind(resources, "ConfigMap")["parcelwatch-config"]
    assert set(config["data"]) <= SETTINGS
    assert "DATABASE_URL" not in config["data"], "secrets belong in the Secret"


def test_production_overlay_pins_the_image() -> None:
    for deployment in _of_kind(_render("overlays/production"), "Deployment").values():
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.startswith("registry.example.com/parcelwatch:")
        assert not image.endswith(":latest")
