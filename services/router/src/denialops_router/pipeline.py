"""The router's stages as one pure step: documents in, the `stage.completed` bodies out (a failed stage ends them)."""

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
from denialops_shared.contracts.artifacts import CaseFacts, PlanRules
from denialops_shared.contracts.events import (
    Artifact,
    RunRequested,
    SafeError,
    Stage,
    StageCompleted,
    StageStatus,
    make_artifact,
    terminal_stage,
)


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
    # Some of the letter's text came through OCR (its document's `extraction_method`, `read_by_ocr`).
    letter_ocr: bool = False
    eob_pages: Sequence[Sequence[str]] = ()
    plan_pages: Sequence[Sequence[str]] = ()
    verified: bool = False


@dataclass(frozen=True, slots=True)
class StageFailure:
    """A stage that raised: which one, and the exception's class (safe to log; its message may quote the letter)."""

    stage: Stage
    error_class: str


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """The `stage.completed` bodies to publish, the last one failed when `failure` is set."""

    stages: list[StageCompleted]
    failure: StageFailure | None = None


# What a user sees of a failed stage: a stable code and what to do, never the exception.
SAFE_ERRORS = {
    Stage.EXTRACT: SafeError(
        code="extraction_failed",
        message="The letter could not be read. Upload a clearer copy or contact support with the task id.",
    ),
    Stage.ROUTE: SafeError(
        code="routing_failed",
        message="The letter was read but no route could be chosen. Contact support with the task id.",
    ),
}


def run_stages(run: RunInput, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> RunOutcome:
    """Extract (letter facts, EOB facts, plan rules), then route and date the deadlines; each stage reported
    with its own timings.

    A stage that raises ends the run there as a failed stage with a safe error (the same input would
    fail again, so it is not retried); the caller counts and logs the failure.
    """
    ids = {"tenant_id": run.tenant_id, "case_id": run.case_id, "run_id": run.run_id}
    extract_started = clock()
    t0 = time.perf_counter()
    try:
        facts, artifacts, plan_rules = _extract(run)
    except Exception as exc:
        return failed(run, Stage.EXTRACT, exc, extract_started)
    extract_finished = extract_started + dt.timedelta(seconds=time.perf_counter() - t0)
    extracted = StageCompleted(
        **ids,
        stage=Stage.EXTRACT,
        status=StageStatus.SUCCEEDED,
        started_at=extract_started,
        finished_at=extract_finished,
        artifacts=artifacts,
    )
    t1 = time.perf_counter()
    try:
        decision = decide_route(facts, run.letter_pages, plan_rules)
        # The deadlines depend on the route (a correction files a corrected claim first), so they are the
        # route stage's output and travel with route.json to llm-worker and intake.
        deadlines = build_deadlines(facts, decision, run.letter_pages)
    except Exception as exc:
        return failed(run, Stage.ROUTE, exc, extract_finished, done=[extracted])
    route_finished = extract_finished + dt.timedelta(seconds=time.perf_counter() - t1)
    routed = StageCompleted(
        **ids,
        stage=Stage.ROUTE,
        status=StageStatus.SUCCEEDED,
        started_at=extract_finished,
        finished_at=route_finished,
        artifacts=[
            make_artifact("route.json", decision.model_dump_json(indent=2)),
            make_artifact("deadlines.json", deadlines.model_dump_json(indent=2)),
        ],
    )
    return RunOutcome([extracted, routed])


def failed(
    run: RunInput, stage: Stage, exc: BaseException, at: dt.datetime, done: Sequence[StageCompleted] = ()
) -> RunOutcome:
    """The run ended by `stage` raising `exc`, after the stages `done`."""
    request = RunRequested(tenant_id=run.tenant_id, case_id=run.case_id, run_id=run.run_id, requested_by="router")
    failure = terminal_stage(request, stage, StageStatus.FAILED, at, SAFE_ERRORS[stage])
    return RunOutcome([*done, failure], StageFailure(stage, type(exc).__name__))


def _extract(run: RunInput) -> tuple[CaseFacts, list[Artifact], PlanRules | None]:
    facts = extract_case_facts(run.letter_pages, ocr=run.letter_ocr)
    artifacts = [make_artifact("case_facts.json", facts.model_dump_json(indent=2))]
    artifacts += _eob_artifacts(run.eob_pages)
    plan_rules = _plan_rules(run)
    if plan_rules is not None:
        artifacts.append(make_artifact("plan_rules.json", plan_rules.model_dump_json(indent=2)))
    return facts, artifacts, plan_rules


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
