"""The router's stages as one pure step: documents in, the two `stage.completed` bodies out."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from denialops_router.domain import (
    build_deadlines,
    decide_route,
    extract_case_facts,
    extract_eob_facts,
    extract_plan_rules,
    merge_plan_rules,
)
from denialops_shared.contracts.artifacts import PlanRules
from denialops_shared.contracts.events import Artifact, Stage, StageCompleted, StageStatus, make_artifact


@dataclass(frozen=True, slots=True)
class RunInput:
    """One run's documents as page texts.

    `eob_pages` and `plan_pages` hold one entry per document (EOBs; SBCs and EOCs), in the order added.
    Plan documents are read only when `verified` (the case's mode is `verified`).
    """

    tenant_id: str
    case_id: str
    run_id: str
    letter_pages: Sequence[str]
    eob_pages: Sequence[Sequence[str]] = ()
    plan_pages: Sequence[Sequence[str]] = ()
    verified: bool = False


def run_stages(
    run: RunInput, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
) -> list[StageCompleted]:
    """Extract (letter facts, EOB facts, plan rules), then route and date the deadlines; each stage reported
    with its own timings."""
    extract_started = clock()
    t0 = time.perf_counter()
    facts = extract_case_facts(run.letter_pages)
    artifacts = [make_artifact("case_facts.json", facts.model_dump_json(indent=2))]
    artifacts += _eob_artifacts(run.eob_pages)
    plan_rules = _plan_rules(run)
    if plan_rules is not None:
        artifacts.append(make_artifact("plan_rules.json", plan_rules.model_dump_json(indent=2)))
    extract_finished = extract_started + dt.timedelta(seconds=time.perf_counter() - t0)
    t1 = time.perf_counter()
    decision = decide_route(facts, run.letter_pages, plan_rules)
    # The deadlines depend on the route (a correction files a corrected claim first), so they are the
    # route stage's output and travel with route.json to llm-worker and intake.
    deadlines = build_deadlines(facts, decision, run.letter_pages)
    route_finished = extract_finished + dt.timedelta(seconds=time.perf_counter() - t1)
    ids = {"tenant_id": run.tenant_id, "case_id": run.case_id, "run_id": run.run_id}
    return [
        StageCompleted(
            **ids,
            stage=Stage.EXTRACT,
            status=StageStatus.SUCCEEDED,
            started_at=extract_started,
            finished_at=extract_finished,
            artifacts=artifacts,
        ),
        StageCompleted(
            **ids,
            stage=Stage.ROUTE,
            status=StageStatus.SUCCEEDED,
            started_at=extract_finished,
            finished_at=route_finished,
            artifacts=[
                make_artifact("route.json", decision.model_dump_json(indent=2)),
                make_artifact("deadlines.json", deadlines.model_dump_json(indent=2)),
            ],
        ),
    ]


def _eob_artifacts(documents: Sequence[Sequence[str]]) -> list[Artifact]:
    """Several EOBs are read as one statement: evidence page numbers count on across them, in order."""
    pages = [page for document in documents for page in document]
    if not pages:
        return []
    return [make_artifact("eob_facts.json", extract_eob_facts(pages).model_dump_json(indent=2))]


def _plan_rules(run: RunInput) -> PlanRules | None:
    """Each plan document is read on its own (citations name it by position), then merged."""
    if not run.verified or not any(run.plan_pages):
        return None
    return merge_plan_rules(
        [extract_plan_rules(pages, document=i) for i, pages in enumerate(run.plan_pages, start=1) if pages]
    )
