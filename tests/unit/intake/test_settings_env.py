"""The environment variable names the README documents are the ones intake reads."""

from __future__ import annotations

import pytest

from denialops_intake.settings import IntakeSettings


@pytest.mark.parametrize(
    ("variable", "field", "value"),
    [
        ("INTAKE_API_KEY_CACHE_SECONDS", "api_key_cache_seconds", 9.0),
        ("INTAKE_MAX_RUNS_IN_FLIGHT", "max_runs_in_flight", 12),
        ("INTAKE_MAX_REQUESTS_IN_FLIGHT", "max_requests_in_flight", 40),
        ("RUN_ADMISSION_FORGET_SECONDS", "run_admission_forget_seconds", 30.0),
        ("INTAKE_RATE_LIMIT", "rate_limit", "5/second"),
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
