"""Metric declarations follow the conventions, and every metric a dashboard or alert names is declared."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY, generate_latest

import denialops_health.main
import denialops_intake.main
import denialops_llm_worker.main
import denialops_router.main
from denialops_shared import metrics
from tests.infra import ROOT
from tests.unit.ops.metric_names import dashboard_names, exported_names, unexported, used_names

SERVICE_MODULES = (denialops_intake.main, denialops_router.main, denialops_llm_worker.main, denialops_health.main)
TYPO_FIXTURE = ROOT / "tests" / "unit" / "ops" / "fixtures" / "dashboard_with_typo.json"


@pytest.mark.parametrize(
    ("name", "kind", "unit", "problem"),
    [
        ("denialops_things", "counter", "", "_total"),
        ("denialops_things_total", "gauge", "", "_total"),
        ("things_total", "counter", "", "start with"),
        ("denialops_wait_milliseconds", "histogram", "", "base units"),
        ("denialops_wait", "histogram", "seconds", "unit 'seconds'"),
        ("denialops_events_consumed_total", "counter", "", "declared twice"),
    ],
)
def test_a_declaration_against_the_conventions_is_refused(name: str, kind: str, unit: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        metrics._declare(name, kind, unit, "help", ())  # type: ignore[arg-type]


def test_the_declaration_table_holds_every_shared_and_service_metric() -> None:
    assert SERVICE_MODULES  # imported for their declarations
    declared = metrics.DECLARED
    for name in (
        "denialops_dead_letters_total",
        "denialops_outbox_backlog_documents",
        "denialops_routes_chosen_total",
        "denialops_run_duration_seconds",
        "denialops_stage_duration_seconds",
        "denialops_consumer_lag_messages",
    ):
        assert name in declared, name
    assert declared["denialops_run_duration_seconds"].unit == "seconds"
    assert declared["denialops_consumer_lag_messages"].labels == ("group", "topic", "partition")


def in_process_exposition() -> str:
    return generate_latest(REGISTRY).decode()


def test_dashboards_and_alerts_name_only_declared_metrics() -> None:
    """A fast, in-process version of tests/e2e/test_metrics_coverage.py (which scrapes the real services)."""
    used = used_names()
    assert set(used) == {"overview.json", "pipeline.json", "llm.json", "kafka-lag.json", "casework.json", "alerts.yml"}
    assert all(used.values()), "every dashboard and the rules use some metric"
    assert unexported(used, exported_names(in_process_exposition())) == {}


def test_a_misspelled_metric_in_a_dashboard_is_reported() -> None:
    """Proves the coverage check can fail: the fixture dashboard misspells denialops_routes_chosen_total."""
    used = dashboard_names([TYPO_FIXTURE])
    assert unexported(used, exported_names(in_process_exposition())) == {
        "dashboard_with_typo.json": {"denialops_routes_chosen_totl"}
    }


def test_a_labelled_family_without_samples_counts_as_exported() -> None:
    exposition = "# HELP denialops_x_total x\n# TYPE denialops_x_total counter\n"
    assert {"denialops_x_total", "denialops_x_created"} <= exported_names(exposition)
    assert "denialops_y_total" not in exported_names(exposition)
