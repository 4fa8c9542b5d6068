"""Production mode: no service starts without Kafka SASL_SSL/SCRAM and MongoDB credentials over TLS, and
docker-compose.prod.yml supplies exactly those from the environment, with no default secret."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest
import yaml

from denialops_intake.settings import IntakeSettings
from denialops_shared.settings import InsecureConfiguration, ServiceSettings
from tests.unit.deploy.stack import APP_PORTS, ROOT, MissingVariableError, environment_of, interpolate
from tests.unit.deploy.test_compose import SETTINGS

PROD_FILE = ROOT / "docker-compose.prod.yml"
SECURE: dict[str, Any] = {
    "environment": "production",
    "kafka_security_protocol": "SASL_SSL",
    "kafka_sasl_mechanism": "SCRAM-SHA-512",
    "kafka_sasl_username": "denialops",
    "kafka_sasl_password": "kafka-pw-1",
    "mongodb_uri": "mongodb://denialops:mongo-pw-1@db.internal:27017/?tls=true&authSource=admin",
}


def test_development_needs_no_credentials() -> None:
    assert ServiceSettings().environment == "development"


def test_production_with_credentials_starts() -> None:
    assert ServiceSettings(**SECURE).environment == "production"
    assert ServiceSettings(**{**SECURE, "mongodb_uri": "mongodb+srv://u:p@cluster.example.net/"}).environment


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"kafka_security_protocol": "PLAINTEXT"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"kafka_sasl_mechanism": None}, "KAFKA_SASL_MECHANISM"),
        ({"kafka_sasl_username": None}, "KAFKA_SASL_USERNAME"),
        ({"kafka_sasl_password": ""}, "KAFKA_SASL_PASSWORD"),
        ({"mongodb_uri": "mongodb://db.internal:27017/?tls=true"}, "username and password"),
        ({"mongodb_uri": "mongodb://u:mongo-pw-1@db.internal:27017/"}, "TLS"),
        ({"mongodb_uri": "mongodb://u:mongo-pw-1@db.internal/?tls=false"}, "TLS"),
        ({"mongodb_uri": "mongodb://u:mongo-pw-1@db/?tls=true&tlsInsecure=true"}, "certificate checks"),
        ({"mongodb_uri": "mongodb+srv://u:mongo-pw-1@c.example.net/?ssl=false"}, "TLS"),
    ],
)
def test_production_refuses_missing_or_weak_credentials_without_echoing_secrets(
    change: dict[str, Any], named: str
) -> None:
    with pytest.raises(InsecureConfiguration, match=named) as refused:
        ServiceSettings(**{**SECURE, **change})
    assert "pw-1" not in str(refused.value)


def test_intake_in_production_refuses_shared_secret_jwts() -> None:
    jwt: dict[str, Any] = {"jwt_key": "k", "jwt_issuer": "https://idp", "jwt_audience": "denialops"}
    with pytest.raises(InsecureConfiguration, match="HS256"):
        IntakeSettings(**SECURE, **jwt, jwt_algorithms=["HS256"])
    assert IntakeSettings(**SECURE, **jwt).jwt_enabled


@pytest.mark.parametrize("module", ["denialops_intake", "denialops_router"])
def test_a_service_in_production_mode_exits_at_once_without_credentials(module: str) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ENVIRONMENT": "production",
        "MONGODB_URI": "mongodb://svc:hunter2-secret@db.internal:27017/",
    }
    done = subprocess.run([sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "refuses to start in production" in output
    assert "KAFKA_SASL_PASSWORD" in output
    assert "hunter2" not in output


# ---- docker-compose.prod.yml -----------------------------------------------------------------------


class ComposeLoader(yaml.SafeLoader):
    """YAML with compose's `!reset` merge tag."""


ComposeLoader.add_constructor("!reset", lambda loader, node: None)


def production_services() -> dict[str, Any]:
    data = yaml.load(PROD_FILE.read_text(encoding="utf-8"), Loader=ComposeLoader)  # noqa: S506
    services: dict[str, Any] = data["services"]
    return services


def fill_required(value: str) -> str:
    """Compose's `${NAME:?message}` with a made-up value, as a secret store would fill it in."""
    fake = {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka.internal:9093",
        "MONGODB_URI": "mongodb://svc:pw@db.internal/?tls=true",
    }
    return re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: fake.get(m[1], f"{m[1].lower()}-value"), value)


def test_local_infrastructure_is_opt_in_and_services_do_not_wait_for_it() -> None:
    services = production_services()
    for name in ("kafka", "mongodb"):
        assert services[name]["profiles"] == ["local-infrastructure"]
    for name in APP_PORTS:
        assert services[name]["depends_on"] is None, f"{name} must not wait for the local containers"


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_every_secret_is_required_from_the_environment(name: str) -> None:
    env = environment_of(production_services()[name])
    for key in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "MONGODB_URI", "KAFKA_BOOTSTRAP_SERVERS"):
        assert re.fullmatch(rf"\$\{{{key}:\?[^}}]+\}}", env[key]), f"{name}: {key} must be required, with no default"
        with pytest.raises(MissingVariableError):
            interpolate(env[key])


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_production_settings_from_the_override_are_accepted(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in environment_of(production_services()[name]).items():
        monkeypatch.setenv(key, interpolate(fill_required(value)))
    settings = SETTINGS[name]()
    assert settings.environment == "production"
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_replication_factor == 3
