"""The committed JSON Schemas must match the models they are generated from."""

from __future__ import annotations

import json

import jsonschema

from denialops_shared.contracts.artifacts import CaseFacts, DenialCode, Evidence
from denialops_shared.contracts.schemas import render_all
from tests.infra import ROOT

SCHEMA_DIR = ROOT / "schemas"


def test_committed_schemas_match_the_models() -> None:
    rendered = render_all()
    committed = {str(p.relative_to(SCHEMA_DIR)): p.read_text(encoding="utf-8") for p in SCHEMA_DIR.rglob("*.json")}
    stale = sorted(path for path, text in rendered.items() if committed.get(path) != text)
    assert not stale, f"regenerate with `python -m denialops_shared.contracts.schemas`: {stale}"
    assert set(committed) == set(rendered), "schemas/ holds files no model generates"


def test_every_schema_is_a_valid_json_schema() -> None:
    for text in render_all().values():
        jsonschema.Draft202012Validator.check_schema(json.loads(text))


def test_a_case_facts_artifact_validates_against_its_schema() -> None:
    facts = CaseFacts(
        payer_name="Example Health",
        cpt_codes=["99214"],
        denial_codes=[DenialCode(code="CO-197", kind="carc", group="CO", reason="197")],
        evidence={"payer_name": [Evidence(page=1, start=0, end=14)]},
    )
    schema = json.loads((SCHEMA_DIR / "artifacts" / "case_facts.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(facts.model_dump_json()), schema)
    broken = json.loads(facts.model_dump_json())
    broken["denial_codes"][0]["kind"] = "other"
    try:
        jsonschema.validate(broken, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("an invalid code kind passed the schema")
