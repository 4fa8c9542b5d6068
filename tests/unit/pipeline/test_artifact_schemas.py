"""Every JSON artifact the pipeline produces for the sample letters validates against its committed schema."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from denialops_llm_worker.pipeline import GenerationInput
from denialops_llm_worker.pipeline import run_stages as generation_stages
from denialops_router.pipeline import RunInput
from denialops_router.pipeline import run_stages as router_stages
from denialops_shared.contracts.artifacts import CaseFacts, Deadlines, RouteDecision
from tests.infra import ROOT

LETTERS = sorted((ROOT / "data" / "samples" / "letters").glob("*.txt"))
PLAN = ROOT / "tests" / "unit" / "router" / "fixtures" / "sbc_bluepine.txt"
SCHEMAS = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "schemas" / "artifacts").glob("*.json")}


def artifacts_for(letter: Path) -> dict[str, str]:
    text = letter.read_text(encoding="utf-8")
    run = RunInput(
        tenant_id="t",
        case_id="case-1",
        run_id="run-1",
        letter_pages=[text],
        # The letter doubles as an EOB and a plan document is attached, so every artifact kind is made.
        eob_pages=[[text]],
        plan_pages=[[PLAN.read_text(encoding="utf-8")]],
        verified=True,
    )
    produced = {a.name: a.content for stage in router_stages(run).stages for a in stage.artifacts}
    generation = GenerationInput(
        tenant_id="t",
        case_id="case-1",
        run_id="run-1",
        facts=CaseFacts.model_validate_json(produced["case_facts.json"]),
        decision=RouteDecision.model_validate_json(produced["route.json"]),
        today=dt.date(2025, 1, 15),
        deadlines=Deadlines.model_validate_json(produced["deadlines.json"]),
    )
    produced.update({a.name: a.content for stage in generation_stages(generation) for a in stage.artifacts})
    return produced


@pytest.mark.parametrize("letter", LETTERS, ids=lambda p: p.name)
def test_json_artifacts_validate_against_the_committed_schemas(letter: Path) -> None:
    produced = artifacts_for(letter)
    json_artifacts = {name.removesuffix(".json"): text for name, text in produced.items() if name.endswith(".json")}
    assert set(json_artifacts) == set(SCHEMAS), "every artifact kind is produced and has a schema"
    for name, text in json_artifacts.items():
        jsonschema.validate(json.loads(text), SCHEMAS[name])
