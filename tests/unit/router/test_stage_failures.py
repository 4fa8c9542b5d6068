"""A bug in a router stage ends the run as that failed stage with a safe error, never as a plausible answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from denialops_router.domain import decide_route, extract_case_facts, extract_eob_facts, extract_plan_rules
from denialops_router.pipeline import RunInput, StageFailure, run_stages
from denialops_shared.contracts.events import Stage, StageStatus

LETTER = "Acme Health\nMarch 3, 2025\nClaim number: AC-1\nReason code CO-50: not medically necessary.\n"
SECRET = "Patient Jane Roe, member id ZX-991"
FACTS = extract_case_facts([LETTER])


def _raise(*_: object, **__: object) -> None:
    raise ValueError(f"a parser bug quoting the letter: {SECRET}")


def _run(**documents: object) -> RunInput:
    return RunInput(tenant_id="t", case_id="c", run_id="r", letter_pages=[LETTER], **documents)  # type: ignore[arg-type]


@pytest.mark.parametrize("function", ["extract_case_facts", "extract_eob_facts"])
def test_an_extraction_bug_fails_the_extract_stage(monkeypatch: pytest.MonkeyPatch, function: str) -> None:
    monkeypatch.setattr(f"denialops_router.pipeline.{function}", _raise)
    outcome = run_stages(_run(eob_pages=[[LETTER]]))
    assert outcome.failure == StageFailure(Stage.EXTRACT, "ValueError")
    [stage] = outcome.stages
    assert (stage.stage, stage.status) == (Stage.EXTRACT, StageStatus.FAILED)
    assert stage.artifacts == []
    assert stage.error is not None
    assert stage.error.code == "extraction_failed"
    assert SECRET not in stage.model_dump_json()


def test_a_plan_rules_bug_fails_the_extract_stage_in_verified_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("denialops_router.pipeline.extract_plan_rules", _raise)
    assert run_stages(_run(plan_pages=[["Exclusions: acupuncture"]])).failure is None, "plans are read only if verified"
    outcome = run_stages(_run(plan_pages=[["Exclusions: acupuncture"]], verified=True))
    assert outcome.failure == StageFailure(Stage.EXTRACT, "ValueError")


def test_a_routing_bug_fails_the_route_stage_after_a_good_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("denialops_router.pipeline.decide_route", _raise)
    outcome = run_stages(_run())
    assert outcome.failure == StageFailure(Stage.ROUTE, "ValueError")
    extract, route = outcome.stages
    assert (extract.stage, extract.status) == (Stage.EXTRACT, StageStatus.SUCCEEDED)
    assert [a.name for a in extract.artifacts] == ["case_facts.json"]
    assert (route.stage, route.status) == (Stage.ROUTE, StageStatus.FAILED)
    assert route.artifacts == []
    assert route.error is not None
    assert route.error.code == "routing_failed"
    assert SECRET not in route.model_dump_json()
    assert route.started_at == extract.finished_at


@pytest.mark.parametrize(
    ("module", "call"),
    [
        ("extract", lambda: extract_case_facts([LETTER])),
        ("routing", lambda: decide_route(FACTS, [LETTER])),
        ("eob", lambda: extract_eob_facts([LETTER])),
        ("plan_rules", lambda: extract_plan_rules(["Exclusions: acupuncture"])),
    ],
)
def test_the_domain_lets_a_bug_through(
    monkeypatch: pytest.MonkeyPatch, module: str, call: Callable[[], object]
) -> None:
    """No catch-all in the domain turns a bug into a default answer (once a route of 0.1 confidence)."""
    monkeypatch.setattr(f"denialops_router.domain.{module}.make_doc", _raise)
    with pytest.raises(ValueError, match="parser bug"):
        call()
