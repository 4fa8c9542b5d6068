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
    render_action_plan_markdown,
)
from denialops_llm_worker.domain.grounding import Grounding
from denialops_llm_worker.domain.wording import Wording, apply_wording
from denialops_shared.contracts.artifacts import ActionPlan, CaseFacts, Deadlines, RouteDecision
from denialops_shared.contracts.events import Stage, StageCompleted, StageStatus, make_artifact
from denialops_shared.llm.metrics import FALLBACKS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GenerationInput:
    tenant_id: str
    case_id: str
    run_id: str
    facts: CaseFacts
    decision: RouteDecision
    today: dt.date
    # The model's wording of the plan, when the LLM answered; None means the templates' own.
    wording: Wording | None = None
    # The router's deadline engine output (`deadlines.json`); None from a router that predates it.
    deadlines: Deadlines | None = None


@dataclass(frozen=True, slots=True)
class GeneratedPack:
    plan: ActionPlan
    plan_markdown: str
    documents: dict[str, str]
    # Document name -> the codes, dates and amounts it holds that the facts do not (empty: grounded).
    ungrounded: dict[str, list[str]]


def _pack(
    facts: CaseFacts, decision: RouteDecision, plan: ActionPlan, wording: Wording | None, deadlines: Deadlines | None
) -> GeneratedPack:
    plan_markdown = render_action_plan_markdown(plan, facts, wording.outlook if wording else None, deadlines)
    documents = build_document_pack(facts, decision, plan, wording.letter_paragraph if wording else None)
    checked = {"action_plan.md": plan_markdown, **documents}
    grounding = Grounding(facts, plan, deadlines)
    ungrounded = {name: grounding.check(text).ungrounded for name, text in checked.items()}
    return GeneratedPack(plan, plan_markdown, documents, ungrounded)


def generate(
    facts: CaseFacts,
    decision: RouteDecision,
    today: dt.date,
    wording: Wording | None = None,
    deadlines: Deadlines | None = None,
) -> GeneratedPack:
    """The plan and the document pack, each document checked for grounding against the facts.

    With `wording`, the model's texts are used only if every document stays grounded; otherwise
    the pack is exactly the templates' one.
    """
    plan = build_action_plan(facts, decision, today, deadlines)
    if wording is not None:
        worded = _pack(facts, decision, apply_wording(plan, wording), wording, deadlines)
        if not any(worded.ungrounded.values()):
            return worded
        FALLBACKS.labels(use="compose", reason="ungrounded").inc()
        log.warning(
            "llm_worker.llm.ungrounded", extra={"documents": sorted(k for k, v in worded.ungrounded.items() if v)}
        )
    return _pack(facts, decision, plan, None, deadlines)


def provenance(plan: ActionPlan) -> str:
    """A Markdown comment saying what wrote a document (invisible when rendered)."""
    if plan.generated_by == "llm":
        return f"\n<!-- generated_by: llm; model: {plan.model}; prompt_version: {plan.prompt_version} -->\n"
    return "\n<!-- generated_by: template -->\n"


def run_stages(
    run: GenerationInput, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
) -> list[StageCompleted]:
    plan_started = clock()
    t0 = time.perf_counter()
    pack = generate(run.facts, run.decision, run.today, run.wording, run.deadlines)
    if any(pack.ungrounded.values()):
        # Templates only use facts; an ungrounded one is a bug to see in the logs, never PHI in them.
        log.error(
            "llm_worker.documents.ungrounded", extra={"documents": sorted(k for k, v in pack.ungrounded.items() if v)}
        )
    plan_artifacts = [
        make_artifact("action_plan.json", pack.plan.model_dump_json(indent=2)),
        make_artifact("action_plan.md", pack.plan_markdown + provenance(pack.plan)),
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
            artifacts=[
                make_artifact(name, content + provenance(pack.plan)) for name, content in sorted(pack.documents.items())
            ],
        ),
    ]
