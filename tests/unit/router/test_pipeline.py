"""The router's stages: which artifacts each run gets, and how plan rules reach the route decision."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from denialops_router.pipeline import RunInput, run_stages
from denialops_shared.contracts.artifacts import (
    CaseFacts,
    ClockBasis,
    Deadlines,
    EobFacts,
    PlanRules,
    Route,
    RouteDecision,
)
from denialops_shared.contracts.events import Stage, StageCompleted, StageStatus
from tests.infra import ROOT

LETTERS = ROOT / "data" / "samples" / "letters"
FIXTURES = Path(__file__).parent / "fixtures"
LETTER = """\
Harborview Mutual Health Plan
March 3, 2025
Member ID: HMH-204-7781   Claim number: HM25-0211-0042
We denied your claim for acupuncture (CPT 97810) on 02/11/2025, billed $95.00.
Reason code PR-204: this service is not covered under your plan.
You may appeal within 180 days of the date of this letter. Call 555-0100.
"""
EOB = """\
HARBORVIEW MUTUAL HEALTH PLAN - EXPLANATION OF BENEFITS
Claim number: HM25-0211-0042
  02/11/2025  97810  acupuncture   billed $95.00   allowed $0.00   paid $0.00   you owe $95.00   PR-204
"""
EOC = (FIXTURES / "eoc_harborview.txt").read_text(encoding="utf-8").split("\f")
SBC = (FIXTURES / "sbc_bluepine.txt").read_text(encoding="utf-8").split("\f")
NOW = dt.datetime(2025, 3, 4, 12, 0, tzinfo=dt.UTC)


def _run(**documents: object) -> tuple[StageCompleted, StageCompleted]:
    run = RunInput(tenant_id="t1", case_id="case-1", run_id="run-1", letter_pages=[LETTER], **documents)  # type: ignore[arg-type]
    extract, route = run_stages(run, clock=lambda: NOW).stages
    return extract, route


def _artifact(stage: StageCompleted, name: str) -> str:
    return next(a.content for a in stage.artifacts if a.name == name)


def test_a_letter_alone_gives_case_facts_and_a_route() -> None:
    extract, route = _run()
    assert (extract.stage, route.stage) == (Stage.EXTRACT, Stage.ROUTE)
    assert {extract.status, route.status} == {StageStatus.SUCCEEDED}
    assert [a.name for a in extract.artifacts] == ["case_facts.json"]
    assert extract.started_at == NOW
    assert extract.finished_at <= route.started_at <= route.finished_at
    facts = CaseFacts.model_validate_json(_artifact(extract, "case_facts.json"))
    assert facts.claim_number == "HM25-0211-0042"
    decision = RouteDecision.model_validate_json(_artifact(route, "route.json"))
    assert decision.route is Route.EXCLUSION
    assert decision.verified_mode_would_help


def test_the_route_stage_carries_the_deadlines() -> None:
    _, route = _run()
    assert [a.name for a in route.artifacts] == ["route.json", "deadlines.json"]
    deadlines = Deadlines.model_validate_json(_artifact(route, "deadlines.json"))
    assert deadlines.next_action is not None
    # "within 180 days of the date of this letter" (March 3, 2025), counted by the letter's own window.
    assert (deadlines.next_action.due, deadlines.next_action.basis) == (dt.date(2025, 8, 30), ClockBasis.COMPUTED)


def test_an_eob_adds_eob_facts() -> None:
    extract, _ = _run(eob_pages=[[EOB]])
    assert [a.name for a in extract.artifacts] == ["case_facts.json", "eob_facts.json"]
    eob = EobFacts.model_validate_json(_artifact(extract, "eob_facts.json"))
    assert eob.claim_number == "HM25-0211-0042"
    assert eob.claims[0].lines[0].amounts.patient_responsibility == 95.00
    assert eob.denial_codes == ["PR-204"]


def test_plan_rules_only_in_verified_mode() -> None:
    extract, _ = _run(plan_pages=[EOC])
    assert "plan_rules.json" not in [a.name for a in extract.artifacts]
    extract, route = _run(plan_pages=[SBC, EOC], verified=True)
    rules = PlanRules.model_validate_json(_artifact(extract, "plan_rules.json"))
    assert {r.citation.document for r in rules.exclusions} == {1, 2}
    decision = RouteDecision.model_validate_json(_artifact(route, "route.json"))
    assert decision.route is Route.EXCLUSION
    plan_signal = next(s for s in decision.signals if s.name.startswith("plan document excludes"))
    assert "Acupuncture" in plan_signal.name
    assert "5. EXCLUSIONS" in plan_signal.name
    # The plan's exclusion list answered the route's question: no more plan pages needed.
    assert not decision.verified_mode_would_help


def test_verified_mode_without_the_rule_the_route_needs_still_asks_for_it() -> None:
    _, route = _run(plan_pages=[["APPEALS\nYou may file an appeal within 60 days."]], verified=True)
    decision = RouteDecision.model_validate_json(_artifact(route, "route.json"))
    assert decision.route is Route.EXCLUSION
    assert decision.verified_mode_would_help


def test_artifacts_are_valid_json_for_every_sample_letter() -> None:
    for path in sorted(LETTERS.glob("*.txt")):
        pages = [path.read_text(encoding="utf-8")]
        run = RunInput(tenant_id="t", case_id="c", run_id="r", letter_pages=pages, eob_pages=[pages])
        for stage in run_stages(run).stages:
            for artifact in stage.artifacts:
                assert isinstance(json.loads(artifact.content), dict), artifact.name
