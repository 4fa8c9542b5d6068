"""The llm-worker's stages as one pure step: facts and route in, the plan and documents stages out."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from denialops_llm_worker.domain import (
    build_action_plan,
    build_document_pack,
    check_grounding,
    render_action_plan_markdown,
)
from denialops_shared.contracts.artifacts import ActionPlan, CaseFacts, RouteDecision
from denialops_shared.contracts.events import Stage, StageCompleted, StageStatus, make_artifact

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GenerationInput:
    tenant_id: str
    case_id: str
    run_id: str
    facts: CaseFacts
    decision: RouteDecision
    today: dt.date


@dataclass(frozen=True, slots=True)
class GeneratedPack:
    plan: ActionPlan
    plan_markdown: str
    documents: dict[str, str]
    # Document name -> the codes, dates and amounts it holds that the facts do not (empty: grounded).
    ungrounded: dict[str, list[str]]


def generate(facts: CaseFacts, decision: RouteDecision, today: dt.date) -> GeneratedPack:
    """The plan and the document pack, each document checked for grounding against the facts."""
    plan = build_action_plan(facts, decision, today)
    plan_markdown = render_action_plan_markdown(plan, facts)
    documents = build_document_pack(facts, decision, plan)
    checked = {"action_plan.md": plan_markdown, **documents}
    ungrounded = {name: check_grounding(text, facts, plan).ungrounded for name, text in checked.items()}
    return GeneratedPack(plan, plan_markdown, documents, ungrounded)


def run_stages(
    run: GenerationInput, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
) -> list[StageCompleted]:
    plan_started = clock()
    t0 = time.perf_counter()
    pack = generate(run.facts, run.decision, run.today)
    if any(pack.ungrounded.values()):
        # Templates only use facts; an ungrounded one is a bug to see in the logs, never PHI in them.
        log.error(
            "llm_worker.documents.ungrounded", extra={"documents": sorted(k for k, v in pack.ungrounded.items() if v)}
        )
    plan_artifacts = [
        make_artifact("action_plan.json", pack.plan.model_dump_json(indent=2)),
        make_artifact("action_plan.md", pack.plan_markdown),
    ]
    # One generation pass serves both stages; its time is split evenly between them.
    half = dt.timedelta(seconds=(time.perf_counter() - t0) / 2)
    plan_finished = plan_started + half
    documents_finished = plan_finished + half
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
            artifacts=[make_artifact(name, content) for name, content in sorted(pack.documents.items())],
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
