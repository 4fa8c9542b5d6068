"""docs/asyncapi.yaml: generated from the code, committed, and valid for the official AsyncAPI parser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from denialops_shared.contracts.events import EVENT_MODELS
from denialops_shared.contracts.topics import Topic
from tests.infra import ROOT
from tests.unit.ops.tools import ASYNCAPI_TOOLS, node_with_asyncapi_parser

DOCUMENT = ROOT / "docs" / "asyncapi.yaml"


def parse(path: Path) -> subprocess.CompletedProcess[str]:
    node = node_with_asyncapi_parser()
    return subprocess.run(
        [node, str(ASYNCAPI_TOOLS / "check.mjs"), str(path)], capture_output=True, text=True, timeout=120
    )


def test_committed_document_matches_the_code() -> None:
    result = subprocess.run(
        [sys.executable, str(ASYNCAPI_TOOLS / "generate.py"), "--check"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_document_covers_every_topic_its_dead_letters_and_the_consumers() -> None:
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {t.value for t in Topic} | {t.dead_letter for t in Topic}
    schemas = document["components"]["schemas"]
    assert {model.__name__ for model in EVENT_MODELS.values()} <= set(schemas)
    groups = {
        op["bindings"]["kafka"]["groupId"]["enum"][0]
        for op in document["operations"].values()
        if op["action"] == "receive"
    }
    assert groups == {"denialops-intake", "denialops-router", "denialops-llm-worker"}


def test_document_parses_with_the_asyncapi_parser() -> None:
    result = parse(DOCUMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok DenialOps events" in result.stdout


def test_the_parser_check_fails_on_a_broken_reference(tmp_path: Path) -> None:
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    document["components"]["messages"]["caseCreated"]["payload"] = {"$ref": "#/components/schemas/Nope"}
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = parse(broken)
    assert result.returncode == 1, result.stdout
