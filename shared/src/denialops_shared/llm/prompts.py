"""Versioned prompts and the case data they are given.

Each service keeps its prompts in a package of its own: `<package>/<version>/<name>.md` holds the
system message of one use of the model. A wording change is a new version directory, so every
artifact can say which prompts wrote it and cached answers of an older version are never served for
a newer one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any


@dataclass(frozen=True, slots=True)
class Prompt:
    name: str
    version: str
    system: str

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"


@cache
def load_prompt(package: str, name: str, version: str) -> Prompt:
    text = files(package).joinpath(version, f"{name}.md").read_text(encoding="utf-8")
    return Prompt(name=name, version=version, system=text.strip())


PLAN_FIELDS = ("summary", "steps", "timeline")


def case_data(facts: Mapping[str, Any], route: str | None, plan: Mapping[str, Any]) -> str:
    """The case as the model is given it: facts (without confidence and evidence), route and plan, as JSON
    (the artifacts' JSON shape) between delimiters that no value inside can close."""
    data = {
        "facts": {key: value for key, value in facts.items() if key not in ("confidence", "evidence")},
        "route": route,
        "plan": {key: plan.get(key) for key in PLAN_FIELDS},
    }
    # `<` escaped inside the JSON strings, so no value can close the delimiter.
    text = json.dumps(data, indent=1, sort_keys=True).replace("<", "\\u003c")
    return f"<case_data>\n{text}\n</case_data>"
