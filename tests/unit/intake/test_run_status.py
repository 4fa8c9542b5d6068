"""A run's status follows from its stages."""

from __future__ import annotations

import pytest

from denialops_intake.domain.runs import is_cancelled, run_status, stage_progress


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


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ({"stages": stages(extract="succeeded")}, False),
        ({"stages": stages(extract="succeeded", route="succeeded", plan="succeeded", documents="succeeded")}, False),
        # Cancelled by a request: marked at once, whatever its stages say.
        ({"stages": stages(extract="succeeded"), "cancelled_at": "2025-01-15T00:00:00Z"}, True),
        ({"cancelled_at": "2025-01-15T00:00:00Z"}, True),
        # Cancelled by the pipeline (a cancelled stage) without a request to intake.
        ({"stages": stages(extract="succeeded", route="cancelled")}, True),
    ],
)
def test_a_run_is_cancelled_for_good_by_a_request_or_by_the_pipeline(run: dict[str, object], expected: bool) -> None:
    assert is_cancelled(run) is expected
