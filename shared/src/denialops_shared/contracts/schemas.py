"""JSON Schemas of every event and artifact, generated from the pydantic models.

`python -m denialops_shared.contracts.schemas [DIR]` writes them (default: `schemas/` at the repo
root); a test fails when the committed files drift from the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from denialops_shared.contracts.artifacts import (
    ActionPlan,
    CaseFacts,
    Deadlines,
    EobFacts,
    PlanRules,
    RouteDecision,
)
from denialops_shared.contracts.events import EVENT_MODELS, SCHEMA_VERSION

ARTIFACT_MODELS: dict[str, type[BaseModel]] = {
    "case_facts": CaseFacts,
    "route": RouteDecision,
    "action_plan": ActionPlan,
    "eob_facts": EobFacts,
    "plan_rules": PlanRules,
    "deadlines": Deadlines,
}


def render_all() -> dict[str, str]:
    """Relative path -> schema text, for every event and artifact."""
    files: dict[str, type[BaseModel]] = {
        f"events/{topic.value}.v{SCHEMA_VERSION}.json": model for topic, model in EVENT_MODELS.items()
    }
    files.update({f"artifacts/{name}.json": model for name, model in ARTIFACT_MODELS.items()})
    return {
        path: json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n" for path, model in files.items()
    }


def write_all(root: Path) -> list[Path]:
    written = []
    for relative, text in render_all().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas")
    for path in write_all(target):
        print(path)
