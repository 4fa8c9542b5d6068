"""deploy/k8s: the kustomize base and overlays render offline, validate strictly against the Kubernetes
schemas (`kubernetes-validate --strict`), and keep the invariants every service relies on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from denialops_health.settings import HealthSettings
from denialops_intake.settings import IntakeSettings
from denialops_llm_worker.settings import LlmWorkerSettings
from denialops_router.settings import RouterSettings
from denialops_shared.settings import ServiceSettings
from tests.infra import ROOT
from tests.unit.ops.tools import kustomize_command

K8S = ROOT / "deploy" / "k8s"
TREES = ("base", "overlays/local", "overlays/production")
KUBERNETES_VERSION = "1.33.0"
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "router": RouterSettings,
    "llm-worker": LlmWorkerSettings,
    "health": HealthSettings,
}
AUTOSCALED = {"router", "llm-worker"}


@cache
def rendered_text(tree: str) -> str:
    result = subprocess.run(
        [*kustomize_command(), str(K8S / tree)], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def rendered(tree: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered_text(tree)) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def kubernetes_validate(path: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("kubernetes-validate", path=os.path.dirname(sys.executable))
    assert executable, "kubernetes-validate is in the dev dependency group"
    return subprocess.run(
        [executable, "--strict", "--quiet", "-k", KUBERNETES_VERSION, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("tree", TREES)
def test_manifests_validate_strictly(tree: str, tmp_path: Path) -> None:
    path = tmp_path / "rendered.yaml"
    path.write_text(rendered_text(tree), encoding="utf-8")
    result = kubernetes_validate(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_strict_validation_rejects_an_unknown_field(tmp_path: Path) -> None:
    deployment = of_kind(rendered("base"), "Deployment")["denialops-router"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(deployment), encoding="utf-8")
    assert kubernetes_validate(path).returncode != 0


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_every_service_has_a_hardened_probed_deployment(tree: str, service: str) -> None:
    docs = rendered(tree)
    name = f"denialops-{service}"
    pod = of_kind(docs, "Deployment")[name]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    port = container["ports"][0]["containerPort"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"]) & set(container["resources"]["limits"])
    security = container["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False
    service_doc = of_kind(docs, "Service")[name]
    assert service_doc["spec"]["ports"][0]["port"] == port
    assert container["envFrom"][0]["configMapRef"]["name"] in of_kind(docs, "ConfigMap")


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_the_configmap_configures_the_service_as_the_deployment_expects(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's own settings class, fed its ConfigMap, listens on the container port on every interface,
    and drains (SHUTDOWN_GRACE_SECONDS, after the preStop pause) well within the termination grace period."""
    docs = rendered("base")
    name = f"denialops-{service}"
    pod = of_kind(docs, "Deployment")[name]["spec"]["template"]["spec"]
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in of_kind(docs, "ConfigMap")[name]["data"].items():
        monkeypatch.setenv(key, value)
    settings = SETTINGS[service]()
    assert settings.http_port == pod["containers"][0]["ports"][0]["containerPort"]
    assert settings.http_host == "0.0.0.0"  # noqa: S104
    pre_stop = int(pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pod["terminationGracePeriodSeconds"] > pre_stop + settings.shutdown_grace_seconds


def test_health_polls_the_other_services_by_their_service_names() -> None:
    data = of_kind(rendered("base"), "ConfigMap")["denialops-health"]["data"]
    services = of_kind(rendered("base"), "Service")
    targets = yaml.safe_load(data["HEALTH_TARGETS"])
    for target, url in targets.items():
        service = services[f"denialops-{target}"]
        assert url == f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"


@pytest.mark.parametrize("tree", TREES)
def test_network_policies_deny_all_then_allow_each_service(tree: str) -> None:
    policies = of_kind(rendered(tree), "NetworkPolicy")
    deny = policies.pop("default-deny-all")
    assert deny["spec"]["podSelector"] == {}
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]
    selected = {p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in policies.values()}
    assert selected == {f"denialops-{s}" for s in SETTINGS}
    assert len(policies) == len(SETTINGS), "one allow policy per service"


@pytest.mark.parametrize("tree", TREES)
def test_router_and_llm_worker_autoscale(tree: str) -> None:
    hpas = of_kind(rendered(tree), "HorizontalPodAutoscaler")
    assert {hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas.values()} == {f"denialops-{s}" for s in AUTOSCALED}
    for hpa in hpas.values():
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_production_overlay_sets_namespace_images_and_sasl() -> None:
    docs = rendered("overlays/production")
    assert {doc["metadata"].get("namespace") for doc in docs if doc["kind"] != "Namespace"} == {"denialops"}
    for deployment in of_kind(docs, "Deployment").values():
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.startswith("registry.example.com/denialops/")
        assert not image.endswith(":dev")
    for config in of_kind(docs, "ConfigMap").values():
        assert config["data"]["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert config["data"]["ENVIRONMENT"] == "production"


# The services that read the cache settings (intake and llm-worker call the model; health checks Redis).
CACHED: dict[str, type[IntakeSettings | LlmWorkerSettings | HealthSettings]] = {
    "intake": IntakeSettings,
    "llm-worker": LlmWorkerSettings,
    "health": HealthSettings,
}


@pytest.mark.parametrize("service", sorted(CACHED))
def test_the_services_that_use_the_redis_cache_may_reach_it(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = rendered("base")
    name = f"denialops-{service}"
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in of_kind(docs, "ConfigMap")[name]["data"].items():
        monkeypatch.setenv(key, value)
    cache = CACHED[service]().cache
    assert cache.backend == "redis"
    port = urlsplit(cache.redis_url.get_secret_value()).port
    egress = of_kind(docs, "NetworkPolicy")[name]["spec"]["egress"]
    assert port in {rule_port["port"] for rule in egress for rule_port in rule["ports"]}
