"""`POST /api/v1/tasks/{id}/cancel` on the real database and broker, behind intake's real authentication.

A cancel marks the run cancelled at once and publishes `run.cancelled` through the run's outbox; stage
results that arrive afterwards (a stage already under way) must neither revive the run nor add artifacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_intake.repository import IntakeRepository, RecordedStage, StageResult
from denialops_shared.contracts.events import PIPELINE, RunCancelled, Stage, StageStatus
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.settings import ServiceSettings
from tests.integration.intake_api import Api, api_for, assert_error, deliver, stage
from tests.integration.support import make_intake, received
from tests.kafka_helpers import collect, headers_of

pytestmark = pytest.mark.integration


async def cancel_events(settings: ServiceSettings, case_id: str) -> list[RunCancelled]:
    """The run.cancelled events published for the case (waits a few seconds for a second one)."""
    records = await collect(
        settings.kafka_bootstrap_servers,
        Topic.RUN_CANCELLED.value,
        lambda r: headers_of(r)["ce_subject"] == case_id,
        count=2,
        wait_seconds=3,
    )
    return [RunCancelled.model_validate_json(r.value) for r in records]


async def test_a_queued_task_is_cancelled_at_once_and_the_pipeline_told_once(
    api: Api, db: AsyncDatabase[Document], settings: ServiceSettings
) -> None:
    case_id, task_id = await api.new_task()
    assert (await api.task(task_id))["status"] == "queued"

    first = await api.cancel(task_id)
    assert first.status_code == 202, first.text
    view = first.json()
    assert (view["task_id"], view["case_id"], view["status"]) == (task_id, case_id, "cancelled")
    assert view["cancelled_at"] is not None
    assert view["finished_at"] is not None
    assert (await api.task(task_id))["status"] == "cancelled"

    again = await api.cancel(task_id)
    assert again.status_code == 202, again.text
    assert again.json()["status"] == "cancelled"
    assert again.json()["cancelled_at"] == view["cancelled_at"], "the second cancel changed nothing"

    events = await cancel_events(settings, case_id)
    assert [(e.run_id, e.tenant_id, e.cancelled_by) for e in events] == [(task_id, "acme", "api")]
    run = await db.runs.find_one({"_id": task_id})
    assert run is not None
    assert run["outbox"] == [], "the event left the outbox once published"


async def test_another_tenants_or_an_unknown_task_is_not_found_and_a_missing_key_unauthorized(api: Api) -> None:
    _, task_id = await api.new_task()
    assert_error(await api.cancel(task_id, tenant="globex"), 404, "not_found")
    assert_error(await api.cancel("run-does-not-exist"), 404, "not_found")
    assert_error(await api.client.post(f"/api/v1/tasks/{task_id}/cancel"), 401, "unauthorized")
    assert (await api.task(task_id))["status"] == "queued", "the owner's task is untouched"


@pytest.mark.parametrize(("last", "status"), [(StageStatus.SUCCEEDED, "succeeded"), (StageStatus.FAILED, "failed")])
async def test_a_finished_task_cannot_be_cancelled(
    api: Api, settings: ServiceSettings, last: StageStatus, status: str
) -> None:
    case_id, task_id = await api.new_task()
    await deliver(api.intake, case_id, task_id, *PIPELINE[:-1])
    final = stage(case_id, task_id, Stage.DOCUMENTS, last)
    await api.intake.on_stage_completed(received(Topic.STAGE_COMPLETED, final))
    assert (await api.task(task_id))["status"] == status

    assert_error(await api.cancel(task_id), 409, "conflict")
    assert (await api.task(task_id))["status"] == status
    assert await cancel_events(settings, case_id) == []


async def test_stage_results_after_a_cancel_neither_revive_the_run_nor_add_artifacts(api: Api) -> None:
    case_id, task_id = await api.new_task()
    await deliver(api.intake, case_id, task_id, Stage.EXTRACT)
    assert (await api.task(task_id))["status"] == "running"

    assert (await api.cancel(task_id)).json()["status"] == "cancelled"
    # The stages that were already under way finish and report, in any order, some twice.
    await deliver(api.intake, case_id, task_id, Stage.DOCUMENTS, Stage.ROUTE, Stage.PLAN, Stage.DOCUMENTS)
    # llm-worker confirms the cancel for the stages it had not started.
    confirmation = stage(case_id, task_id, Stage.PLAN, StageStatus.CANCELLED)
    await api.intake.on_stage_completed(received(Topic.STAGE_COMPLETED, confirmation))

    task = await api.task(task_id)
    assert task["status"] == "cancelled"
    assert {s["stage"]: s["status"] for s in task["stages"]} == {
        "extract": "succeeded",
        "route": "pending",
        "plan": "cancelled",
        "documents": "pending",
    }
    assert await api.artifact_names(case_id, task_id) == {"case_facts.json"}
    later = await api.client.get(
        f"/api/v1/cases/{case_id}/artifacts/call_script.md", params={"task_id": task_id}, headers=api.auth("acme")
    )
    assert_error(later, 404, "not_found")


class CancelWhile(IntakeRepository):
    """Lands a cancel request (as another request would) just before or just after the consumer records a
    stage (`record_stages` is its one write of the run)."""

    def __init__(self, db: AsyncDatabase[Document], after: str) -> None:
        super().__init__(db)
        self.after = after
        self.cancel: Any = None

    async def _maybe_cancel(self, step: str, run_id: str) -> None:
        if self.cancel is not None and step == self.after:
            cancel, self.cancel = self.cancel, None
            await cancel(run_id)

    async def record_stages(
        self, tenant_id: str, case_id: str, run_id: str, results: Sequence[StageResult], *, unless_cancelled: bool
    ) -> RecordedStage:
        await self._maybe_cancel("before_record", run_id)
        recorded = await super().record_stages(tenant_id, case_id, run_id, results, unless_cancelled=unless_cancelled)
        await self._maybe_cancel("record_stage", run_id)
        return recorded


@pytest.mark.parametrize(("after", "answer"), [("before_record", 202), ("record_stage", 409)])
async def test_a_cancel_racing_the_final_stage(
    db: AsyncDatabase[Document], broker: KafkaBroker, after: str, answer: int
) -> None:
    """A cancel that lands before the final stage is written wins, and that stage's output is dropped;
    once it is written the run has finished in that same write, and the cancel is too late."""
    repo = CancelWhile(db, after)
    intake = make_intake(db, broker, repo)
    async with api_for(intake) as api:
        case_id, task_id = await api.new_task()
        await deliver(intake, case_id, task_id, Stage.EXTRACT, Stage.ROUTE, Stage.PLAN)
        answers: list[int] = []

        async def cancel(run_id: str) -> None:
            answers.append((await api.cancel(run_id)).status_code)

        repo.cancel = cancel
        await deliver(intake, case_id, task_id, Stage.DOCUMENTS)
        assert answers == [answer], "the cancel request was made"

        task = await api.task(task_id)
        names = await api.artifact_names(case_id, task_id)
        if after == "before_record":
            assert task["status"] == "cancelled"
            assert task["finished_at"] is not None
            assert names == {"case_facts.json", "route.json", "action_plan.json"}
            stored = await db.runs.find_one({"_id": task_id})
            assert stored is not None
            assert "documents" not in stored["stages"], "the late stage was not kept"
            assert "documents" not in stored.get("outputs", {}), "nor its artifacts"
        else:
            assert task["status"] == "succeeded"
            assert "call_script.md" in names
