"""The environment variable names the README documents are the ones the services read, one name each."""

from __future__ import annotations

import pytest

from denialops_health.settings import HealthSettings
from denialops_intake.settings import IntakeSettings
from denialops_llm_worker.settings import LlmWorkerSettings
from denialops_router.settings import RouterSettings
from denialops_shared.settings import ServiceSettings


@pytest.mark.parametrize(
    ("variable", "field", "value"),
    [
        ("INTAKE_API_KEY_CACHE_SECONDS", "api_key_cache_seconds", 9.0),
        ("INTAKE_MAX_RUNS_IN_FLIGHT", "max_runs_in_flight", 12),
        ("INTAKE_MAX_REQUESTS_IN_FLIGHT", "max_requests_in_flight", 40),
        ("RUN_ADMISSION_FORGET_SECONDS", "run_admission_forget_seconds", 30.0),
        ("INTAKE_RATE_LIMIT", "rate_limit", "5/second"),
        ("INTAKE_PORT", "http_port", 8100),
        ("INTAKE_MONGODB_DATABASE", "mongodb_database", "elsewhere"),
        ("OCR_MAX_PAGES", "ocr_max_pages", 3),
        ("OCR_PAGE_TIMEOUT_SECONDS", "ocr_page_timeout_seconds", 2.5),
    ],
)
def test_documented_variables_are_read(
    monkeypatch: pytest.MonkeyPatch, variable: str, field: str, value: object
) -> None:
    monkeypatch.setenv(variable, str(value))
    assert getattr(IntakeSettings(), field) == value


def test_runs_in_flight_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_MAX_RUNS_IN_FLIGHT", "0")
    with pytest.raises(ValueError, match=r"max_runs_in_flight|INTAKE_MAX_RUNS_IN_FLIGHT"):
        IntakeSettings()


SERVICES: list[tuple[type[ServiceSettings], str, str]] = [
    (IntakeSettings, "INTAKE_PORT", "INTAKE_MONGODB_DATABASE"),
    (RouterSettings, "ROUTER_PORT", "ROUTER_MONGODB_DATABASE"),
    (LlmWorkerSettings, "LLM_WORKER_PORT", "LLM_WORKER_MONGODB_DATABASE"),
    (HealthSettings, "HEALTH_PORT", "HEALTH_MONGODB_DATABASE"),
]


@pytest.mark.parametrize(("settings", "port", "database"), SERVICES)
def test_a_port_and_a_database_answer_to_one_name_each(
    monkeypatch: pytest.MonkeyPatch, settings: type[ServiceSettings], port: str, database: str
) -> None:
    defaults = settings()
    # The field names, which a second alias used to let through, are not read.
    monkeypatch.setenv("HTTP_PORT", "9999")
    monkeypatch.setenv("MONGODB_DATABASE", "other")
    assert (settings().http_port, settings().mongodb_database) == (defaults.http_port, defaults.mongodb_database)
    monkeypatch.setenv(port, "9998")
    monkeypatch.setenv(database, "mine")
    assert (settings().http_port, settings().mongodb_database) == (9998, "mine")


def test_the_cache_settings_are_read_by_both_services_that_call_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CACHE_BACKEND", "redis")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6380/2")
    monkeypatch.setenv("CACHE_REDIS_URL", "redis://not-this-one")
    for settings in (IntakeSettings(), LlmWorkerSettings()):
        assert settings.cache.backend == "redis"
        assert settings.cache.redis_url.get_secret_value() == "redis://cache.internal:6380/2"
