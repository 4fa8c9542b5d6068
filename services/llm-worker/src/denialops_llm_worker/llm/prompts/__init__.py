"""Versioned prompts: `prompts/<version>/<name>.md` holds the system message of one use of the model.

A wording change is a new version directory, so every artifact can say which prompts wrote it and
cached answers of an older version are never served for a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True, slots=True)
class Prompt:
    name: str
    version: str
    system: str

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"


@cache
def load_prompt(name: str, version: str) -> Prompt:
    text = files(__package__).joinpath(version, f"{name}.md").read_text(encoding="utf-8")
    return Prompt(name=name, version=version, system=text.strip())
