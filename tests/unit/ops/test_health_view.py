"""What the health service shows an operator: settings with every secret masked, and the status page."""

from __future__ import annotations

from pydantic import Field, SecretStr

from denialops_health.aggregate import redis_up
from denialops_health.settings import HealthSettings
from denialops_health.status_page import render
from denialops_shared.config_view import MASK, configuration_report, masked_settings
from denialops_shared.llm.factory import redis_client
from denialops_shared.llm.settings import CacheSettings
from denialops_shared.settings import ServiceSettings
from tests.support.ports import free_port


class WithSecrets(ServiceSettings):
    redis_url: str = "redis://:hunter2@cache:6379/0"
    llm_api_key: str = "sk-live-123"
    webhook_token: SecretStr | None = SecretStr("tok-123")
    upstreams: dict[str, str] = Field(default_factory=lambda: {"a": "https://user:pw@example.com/x?api_key=k&q=1"})


def test_secrets_are_masked_and_the_rest_is_shown() -> None:
    settings = WithSecrets(
        mongodb_uri=SecretStr("mongodb://app:s3cret@db1:27017,db2:27017/denialops?tls=true"),
        kafka_sasl_password=SecretStr("kafka-pw"),
        kafka_sasl_username="svc",
    )
    shown = masked_settings(settings)
    text = repr(shown)
    for secret in ("s3cret", "kafka-pw", "hunter2", "sk-live-123", "tok-123", ":pw@", "=k&"):
        assert secret not in text, secret
    assert shown["mongodb_uri"] == f"mongodb://app:{MASK}@db1:27017,db2:27017/denialops?tls=true"
    assert shown["kafka_sasl_password"] == MASK
    assert shown["llm_api_key"] == MASK
    assert shown["redis_url"] == f"redis://:{MASK}@cache:6379/0"
    assert shown["upstreams"] == {"a": f"https://user:{MASK}@example.com/x?api_key={MASK}&q=1"}
    assert shown["kafka_sasl_username"] == "svc"
    assert shown["kafka_topic_partitions"] == 3
    assert shown["http_host"] == "127.0.0.1"


def test_an_unset_secret_shows_as_unset() -> None:
    assert masked_settings(ServiceSettings())["kafka_sasl_password"] is None


def snapshot(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "status": "degraded",
        "checked_at": "2025-01-15T10:00:00+00:00",
        "dependencies": {"kafka": True, "database": False},
        "services": {
            "intake": {"ready": True, "detail": {"status": "ok", "checks": {"kafka": True, "database": True}}},
            "router": {"ready": False, "error": "ConnectError"},
        },
        "consumer_lag": [
            {"group": "denialops-router", "topic": "document.added", "partition": 0, "lag": 4},
            {"group": "denialops-router", "topic": "document.added", "partition": 1, "lag": 6},
        ],
        "configuration": {"health": configuration_report("health", "0.1.0", HealthSettings())},
    }
    return {**base, **overrides}


def test_the_status_page_shows_services_dependencies_lag_and_configuration() -> None:
    page = render(snapshot())
    assert "NOT READY" in page
    assert "ConnectError" in page
    assert "database</td><td><span class='bad'>DOWN" in page
    assert "<b>10</b>" in page  # the router group's total lag
    assert "health_targets" in page
    assert "http-equiv='refresh'" in page


def test_the_status_page_escapes_what_it_shows() -> None:
    page = render(snapshot(services={"<script>x</script>": {"ready": True}}))
    assert "<script>x" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_the_status_page_shows_redis_as_an_optional_dependency() -> None:
    page = render(snapshot(status="ok", optional_dependencies={"redis": False}))
    assert "redis</td><td><span class='bad'>DOWN</span></td><td>optional (LLM cache)" in page
    assert "DenialOps <span class='ok'>ok" in page  # a Redis outage costs cache hits, not health


async def test_an_unreachable_redis_is_reported_down() -> None:
    unreachable = redis_client(CacheSettings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", redis_timeout_seconds=0.5))
    assert await redis_up(unreachable) is False
