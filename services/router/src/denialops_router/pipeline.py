"""The router's stages as one pure step: documents in, the two `stage.completed` bodies out."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from denialops_router.domain import decide_route, extract_case_facts
from denialops_shared.contracts.artifacts import CaseFacts, RouteDecision
from denialops_shared.contracts.events import Stage, StageCompleted, StageStatus, make_artifact


@dataclass(frozen=True, slots=True)
class RunInput:
    tenant_id: str
    case_id: str
    run_id: str
    letter_pages: Sequence[str]


def run_stages(
    run: RunInput, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
) -> list[StageCompleted]:
    """Extract, then route; each stage reported with its own timings."""
    extract_started = clock()
    t0 = time.perf_counter()
    facts: CaseFacts = extract_case_facts(run.letter_pages)
    extract_finished = extract_started + dt.timedelta(seconds=time.perf_counter() - t0)
    t1 = time.perf_counter()
    decision: RouteDecision = decide_route(facts, run.letter_pages)
    route_finished = extract_finished + dt.timedelta(seconds=time.perf_counter() - t1)
    ids = {"tenant_id": run.tenant_id, "case_id": run.case_id, "run_id": run.run_id}
    return [
        StageCompleted(
            **ids,
            stage=Stage.EXTRACT,
            status=StageStatus.SUCCEEDED,
            started_at=extract_started,
            finished_at=extract_finished,
            artifacts=[make_artifact("case_facts.json", facts.model_dump_json(indent=2))],
        ),
        StageCompleted(
            **ids,
            stage=Stage.ROUTE,
            status=StageStatus.SUCCEEDED,
            started_at=extract_finished,
            finished_at=route_finished,
            artifacts=[make_artifact("route.json", decision.model_dump_json(indent=2))],
        ),
    ]
