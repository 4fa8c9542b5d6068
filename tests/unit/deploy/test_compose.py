"""docker-compose.yml, checked offline: the official Compose Specification schema plus the invariants the
stack relies on (health checks, start order, ports, settings, profiles, no secrets).

The schema is vendored in tests/fixtures/compose/ (source and version in its README.md).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from denialops_health.settings import HealthSettings
from denialops_intake.settings import IntakeSettings
from denialops_llm_worker.settings import LlmWorkerSettings
from denialops_router.settings import RouterSettings
from denialops_shared.settings import ServiceSettings
from tests.unit.deploy.stack import (
    ALL_INTERFACES,
    APP_PORTS,
    ROOT,
    MissingVariableError,
    environment_of,
    interpolate,
    load_compose,
    load_compose_raw,
    read_dockerfile,
)

SCHEMA_FILE = ROOT / "tests" / "fixtures" / "compose" / "compose-spec.json"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
CORE_STACK = {"kafka", "mongodb", "redis", *APP_PORTS}
OBSERVABILITY = {"prometheus", "grafana"}
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "router": RouterSettings,
    "llm-worker": LlmWorkerSettings,
    "health": HealthSettings,
}
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIAL|PRIVATE_KEY", re.IGNORECASE)
HEALTH_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost):(\d+)(/[^'\"\s]*)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def healthcheck_command(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    return [test] if isinstance(test, str) else [str(part) for part in test]


# ---- the file as a whole -------------------------------------------------------------------------


def test_vendored_schema_is_a_valid_json_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "Compose Specification"


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(compose)
    ]
    assert errors == []


def test_schema_check_catches_an_invalid_file(compose: dict[str, Any]) -> None:
    """Guards the test above: an unknown service key must fail the schema."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    broken = {
        **compose,
        "services": {**compose["services"], "kafka": {**compose["services"]["kafka"], "helthcheck": {}}},
    }
    assert not jsonschema.Draft202012Validator(schema).is_valid(broken)


def test_compose_up_needs_no_environment_variables() -> None:
    """Every `${VAR}` has a default, so `docker compose up` works on a fresh clone without an .env file."""
    load_compose()  # raises MissingVariableError on a variable without a default
    with pytest.raises(MissingVariableError):
        interpolate("${NOT_SET_ANYWHERE}")
    with pytest.raises(MissingVariableError):
        interpolate("${REQUIRED:?set it}")
    assert interpolate("a-${X:-1}-${Y-2}-$$HOME") == "a-1-2-$HOME"


def test_core_stack_has_no_profile_and_observability_is_opt_in(services: dict[str, dict[str, Any]]) -> None:
    core = {name for name, service in services.items() if not service.get("profiles")}
    assert core == CORE_STACK
    for name in OBSERVABILITY:
        assert services[name].get("profiles") == ["observability"], name
    assert set(services) == CORE_STACK | OBSERVABILITY


def test_no_secrets_in_the_compose_file(services: dict[str, dict[str, Any]]) -> None:
    raw_services: dict[str, dict[str, Any]] = load_compose_raw()["services"]
    for name, service in raw_services.items():
        for key, value in (service.get("environment") or {}).items():
            assert not SECRET_NAME.search(str(key)), f"{name}: {key} looks like a secret; pass it from a secret store"
            if isinstance(value, str) and "://" in value:
                assert "@" not in urlsplit(value).netloc, f"{name}: {key} carries credentials in its URL"
    assert "secrets" not in load_compose_raw()
    assert all("env_file" not in service for service in services.values())


# ---- health checks and start order --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CORE_STACK | OBSERVABILITY))
def test_every_service_has_a_healthcheck(services: dict[str, dict[str, Any]], name: str) -> None:
    healthcheck = services[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False), f"{name} disables its healthcheck"
    command = healthcheck_command(services[name])
    assert command[0] in {"CMD", "CMD-SHELL"}, command
    assert len(command) > 1, command


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_services_wait_for_healthy_kafka_and_mongodb(services: dict[str, dict[str, Any]], name: str) -> None:
    depends_on = services[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must be the long form with conditions"
    for dependency in ("kafka", "mongodb", "redis"):
        assert dependency in depends_on, f"{name} does not wait for {dependency}"
        assert depends_on[dependency].get("condition") == "service_healthy", f"{name} -> {dependency}"


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_healthcheck_probes_readiness_on_the_service_port(services: dict[str, dict[str, Any]], name: str) -> None:
    urls = HEALTH_URL.findall(" ".join(healthcheck_command(services[name])))
    assert urls == [(str(APP_PORTS[name]), "/health/ready")]


def test_kafka_is_one_kraft_node_checked_by_listing_topics(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    env = environment_of(kafka)
    assert kafka["image"] == "apache/kafka:4.1.1"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["CLUSTER_ID"], "KRaft needs a cluster id to format its storage"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "zookeeper" not in json.dumps(kafka).lower()
    command = healthcheck_command(kafka)
    assert command[1:] == ["/opt/kafka/bin/kafka-topics.sh", "--bootstrap-server", "localhost:9092", "--list"]
    listeners = dict(item.split("://", 1) for item in env["KAFKA_LISTENERS"].split(","))
    assert listeners["PLAINTEXT"].rsplit(":", 1)[1] == "9092"


def test_mongodb_is_checked_with_a_ping(services: dict[str, dict[str, Any]]) -> None:
    assert services["mongodb"]["image"] == "mongo:7"
    command = healthcheck_command(services["mongodb"])
    assert command[1] == "mongosh"
    assert "db.adminCommand('ping')" in command


# ---- the DenialOps services ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_builds_its_own_dockerfile(services: dict[str, dict[str, Any]], name: str) -> None:
    build = services[name]["build"]
    assert (ROOT / build["context"]).resolve() == ROOT, "the build context is the repository root"
    dockerfile = ROOT / build["context"] / build["dockerfile"]
    assert dockerfile.resolve() == ROOT / "services" / name / "Dockerfile"
    assert dockerfile.is_file(), f"{dockerfile} does not exist"


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_publishes_its_port(services: dict[str, dict[str, Any]], name: str) -> None:
    port = APP_PORTS[name]
    assert f"127.0.0.1:{port}:{port}" in services[name]["ports"]


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_services_reach_kafka_and_mongodb_over_the_compose_network(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = environment_of(services[name])
    kafka_env = environment_of(services["kafka"])
    advertised = dict(item.split("://", 1) for item in kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    protocols = dict(item.split(":", 1) for item in kafka_env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    listener = next((key for key, address in advertised.items() if address == env["KAFKA_BOOTSTRAP_SERVERS"]), None)
    assert listener is not None, f"{name}: {env['KAFKA_BOOTSTRAP_SERVERS']} is none of Kafka's advertised listeners"
    assert protocols[listener] == "PLAINTEXT"
    assert urlsplit(env["MONGODB_URI"]).hostname == "mongodb"


def container_environment(name: str, service: dict[str, Any]) -> dict[str, str]:
    """What the process in the container sees: the image's ENV overlaid with compose's environment."""
    dockerfile = read_dockerfile(ROOT / "services" / name / "Dockerfile")
    return {**dockerfile.env(dockerfile.final), **environment_of(service)}


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_settings_from_the_container_environment(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's own settings class, fed the container's environment, listens where compose expects,
    on all interfaces, and keeps its own database (database per service)."""
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in container_environment(name, services[name]).items():
        monkeypatch.setenv(key, value)
    settings = SETTINGS[name]()
    assert settings.http_host == ALL_INTERFACES
    assert settings.http_port == APP_PORTS[name]
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.mongodb_uri.get_secret_value() == "mongodb://mongodb:27017"
    default_database = SETTINGS[name].model_fields["mongodb_database"].default
    assert settings.mongodb_database == default_database, "one database per service"
    assert settings.kafka_topic_partitions >= 1
    cache = getattr(settings, "cache", None)  # the services that call the model, and health
    if name != "router":
        assert cache is not None
        assert cache.backend == "redis"
        assert urlsplit(cache.redis_url.get_secret_value()).hostname == "redis"


def test_health_service_aggregates_the_other_three(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in container_environment("health", services["health"]).items():
        monkeypatch.setenv(key, value)
    targets = HealthSettings().health_targets
    expected = {name: f"http://{name}:{port}" for name, port in APP_PORTS.items() if name != "health"}
    assert targets == expected


# ---- observability profile ----------------------------------------------------------------------


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of a service's bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = (ROOT / source).resolve()
    return mounts


def test_prometheus_scrapes_every_service_and_loads_the_alert_rules(services: dict[str, dict[str, Any]]) -> None:
    prometheus = services["prometheus"]
    assert bind_mounts(prometheus)["/etc/prometheus"] == PROMETHEUS_DIR
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["alerts.yml"]
    assert (PROMETHEUS_DIR / "alerts.yml").is_file()
    scraped = {
        (target, job.get("metrics_path", "/metrics"))
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    assert scraped == {(f"{name}:{port}", "/metrics") for name, port in APP_PORTS.items()}


def test_bind_mounts_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_grafana_uses_the_prometheus_datasource(services: dict[str, dict[str, Any]]) -> None:
    provisioning = GRAFANA_DIR / "provisioning" / "datasources"
    datasources = [
        source
        for path in sorted(provisioning.glob("*.yml"))
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["datasources"]
    ]
    assert [(source["type"], source["url"]) for source in datasources] == [("prometheus", "http://prometheus:9090")]
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_grafana_loads_the_provisioned_dashboards(services: dict[str, dict[str, Any]]) -> None:
    mounts = bind_mounts(services["grafana"])
    assert mounts["/etc/grafana/provisioning"] == GRAFANA_DIR / "provisioning"
    providers = [
        provider
        for path in sorted((GRAFANA_DIR / "provisioning" / "dashboards").glob("*.yml"))
        for provider in yaml.safe_load(path.read_text(encoding="utf-8"))["providers"]
    ]
    dashboard_dirs = {Path(provider["options"]["path"]) for provider in providers}
    assert {mounts[str(path)] for path in dashboard_dirs} == {GRAFANA_DIR / "dashboards"}
