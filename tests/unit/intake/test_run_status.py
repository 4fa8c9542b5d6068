"""A run's status follows from its stages."""

from __future__ import annotations

import pytest

from denialops_intake.handlers import run_status, stage_progress


def stages(**statuses: str) -> dict[str, dict[str, str]]:
    return {name: {"status": status} for name, status in statuses.items()}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, "queued"),
        (stages(extract="succeeded"), "running"),
        (stages(extract="succeeded", route="succeeded", plan="succeeded"), "running"),
        (stages(extract="succeeded", route="succeeded", plan="succeeded", documents="succeeded"), "succeeded"),
        (stages(extract="succeeded", route="failed"), "failed"),
        (stages(extract="succeeded", route="succeeded", plan="cancelled"), "cancelled"),
        # Stages may arrive out of order: the final stage alone still finishes the run.
        (stages(documents="succeeded"), "succeeded"),
    ],
)
def test_run_status(given: dict[str, dict[str, str]], expected: str) -> None:
    assert run_status(given) == expected


def test_progress_lists_every_stage_in_pipeline_order() -> None:
    progress = stage_progress(stages(route="succeeded"))
    assert [p["stage"] for p in progress] == ["extract", "route", "plan", "documents"]
    assert [p["status"] for p in progress] == ["pending", "succeeded", "pending", "pending"]
