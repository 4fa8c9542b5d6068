"""A run's status, derived from what is stored on it: its stages and, once cancelled, its cancel mark.

The status is never stored: each stage result is one write of its own stage, so no write needs to know
the others, and a redelivered or out-of-order stage cannot set an older status back.
"""

from __future__ import annotations

from typing import Any

from denialops_shared.contracts.events import FINAL_STAGE, PIPELINE, StageStatus

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
_DONE = (StageStatus.SUCCEEDED.value, StageStatus.SKIPPED.value)

Run = dict[str, Any]


def run_status(stages: dict[str, Run]) -> str:
    """A run's status from its stages: any failure fails it, the final stage finishes it."""
    statuses = {name: stage["status"] for name, stage in stages.items()}
    if StageStatus.FAILED.value in statuses.values():
        return "failed"
    if StageStatus.CANCELLED.value in statuses.values():
        return "cancelled"
    if statuses.get(FINAL_STAGE.value) in _DONE:
        return "succeeded"
    return "running" if statuses else "queued"


def status_of(run: Run) -> str:
    """The run's status: cancelled once a cancel request marked it, else what its stages say."""
    return "cancelled" if run.get("cancelled_at") is not None else run_status(run.get("stages") or {})


def with_status(run: Run) -> Run:
    return {**run, "status": status_of(run)}


def is_cancelled(run: Run) -> bool:
    """Cancelled by a request (intake marks it at once) or by the pipeline (a cancelled stage): for good."""
    return status_of(run) == "cancelled"


def finishes_run(stage: str, status: StageStatus) -> bool:
    """Whether this stage's result ends the run on its own (its first such result is when it finished)."""
    if status in (StageStatus.FAILED, StageStatus.CANCELLED):
        return True
    return stage == FINAL_STAGE.value and status.value in _DONE


def stage_progress(stages: dict[str, Run]) -> list[Run]:
    return [{"stage": s.value, **stages.get(s.value, {"status": "pending"})} for s in PIPELINE]
