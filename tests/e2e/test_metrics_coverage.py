"""Every metric the dashboards and alert rules use is exported by a running service, and every service's
/metrics passes `promtool check metrics`.

The stack runs one sample letter first, so the pipeline's histograms and counters have samples; a
family that is declared but has no sample yet still counts as exported (it has HELP and TYPE lines).
The unit twin, with a deliberate typo proving the check can fail: tests/unit/ops/test_metrics.py.
"""

from __future__ import annotations

import re
import subprocess
import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.test_pipeline import submit, wait_for_task
from tests.infra import ROOT
from tests.unit.ops.metric_names import exported_names, unexported, used_names
from tests.unit.ops.tools import promtool

pytestmark = pytest.mark.e2e

LETTER = ROOT / "data" / "samples" / "letters"


def scrape(url: str) -> str:
    response = httpx.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


def run_one_letter(client: httpx.Client) -> dict[str, Any]:
    _, task_id = submit(client, sorted(LETTER.glob("*.txt"))[0])
    return wait_for_task(client, task_id)


@pytest.fixture(scope="module")
def expositions(stack: Stack) -> dict[str, str]:
    with httpx.Client(base_url=stack.intake, timeout=30, headers=stack.auth()) as client:
        assert run_one_letter(client)["status"] == "succeeded"
    time.sleep(2.5)  # one outbox relay sweep and one health poll later, their gauges have values too
    return {name: scrape(url) for name, url in stack.urls.items()}


def test_every_metric_in_dashboards_and_alerts_is_exported(expositions: dict[str, str]) -> None:
    exported = set().union(*(exported_names(text) for text in expositions.values()))
    assert unexported(used_names(), exported) == {}


def test_the_run_recorded_its_latency_stage_timings_and_route(expositions: dict[str, str]) -> None:
    intake, router = expositions["intake"], expositions["router"]
    assert 'denialops_run_duration_seconds_count{status="succeeded"}' in intake
    assert 'denialops_stage_duration_seconds_count{stage="documents",status="succeeded"}' in intake
    assert "denialops_routes_chosen_total{route=" in router
    assert 'denialops_outbox_backlog_documents{collection="runs"}' in router
    assert re.search(r'denialops_consumer_lag_messages\{group="[\w.-]+-intake"', expositions["health"])


@pytest.mark.parametrize("service", ["intake", "router", "llm-worker", "health"])
def test_promtool_accepts_the_exposition(expositions: dict[str, str], service: str) -> None:
    result = subprocess.run(
        [promtool(), "check", "metrics"], input=expositions[service], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
