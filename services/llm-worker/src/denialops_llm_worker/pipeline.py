"""The llm-worker's stages as one pure step: facts and route in, the plan and documents stages out."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from denialops_llm_worker.domain import build_action_plan, build_document_pack, render_action_plan_markdown
from denialops_shared.contracts.artifacts import CaseFacts, RouteDecision
from denialops_shared.contracts.events import Stage, StageCompleted, StageStatus, make_artifact


@dataclass(frozen=True, slots=True)
class GenerationInput:
    tenant_id: str
    case_id: str
    run_id: str
    facts: CaseFacts
    decision: RouteDecision
    today: dt.date


def run_stages(
    run: GenerationInput, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
) -> list[StageCompleted]:
    plan_started = clock()
    t0 = time.perf_counter()
    plan = build_action_plan(run.facts, run.decision, run.today)
    plan_artifacts = [
        make_artifact("action_plan.json", plan.model_dump_json(indent=2)),
        make_artifact("action_plan.md", render_action_plan_markdown(plan, run.facts)),
    ]
    plan_finished = plan_started + dt.timedelta(seconds=time.perf_counter() - t0)
    t1 = time.perf_counter()
    documents = build_document_pack(run.facts, run.decision, plan)
    documents_finished = plan_finished + dt.timedelta(seconds=time.perf_counter() - t1)
    ids = {"tenant_id": run.tenant_id, "case_id": run.case_id, "run_id": run.run_id}
    return [
        StageCompleted(
            **ids,
            stage=Stage.PLAN,
            status=StageStatus.SUCCEEDED,
            started_at=plan_started,
            finished_at=plan_finished,
            artifacts=plan_artifacts,
        ),
        StageCompleted(
            **ids,
            stage=Stage.DOCUMENTS,
            status=StageStatus.SUCCEEDED,
            started_at=plan_finished,
            finished_at=documents_finished,
            artifacts=[make_artifact(name, content) for name, content in sorted(documents.items())],
        ),
    ]


def cancelled_stage(tenant_id: str, case_id: str, run_id: str, at: dt.datetime) -> StageCompleted:
    return StageCompleted(
        tenant_id=tenant_id,
        case_id=case_id,
        run_id=run_id,
        stage=Stage.PLAN,
        status=StageStatus.CANCELLED,
        started_at=at,
        finished_at=at,
    )
