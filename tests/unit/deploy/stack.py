"""Readers for the container build files, shared by the deploy tests (no Docker daemon needed).

- `load_compose()` reads docker-compose.yml and interpolates `${VAR:-default}` the way `docker compose`
  does with an empty environment, so the tests check what a plain `docker compose up` would run.
- `read_dockerfile()` parses a Dockerfile into stages and resolves `${ARG}` references from the ARG
  defaults, the way BuildKit does for FROM/COPY/ENV/EXPOSE/USER/LABEL.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.yml"

# The four DenialOps services: compose service name = folder under services/ -> HTTP port.
APP_PORTS: dict[str, int] = {"intake": 8000, "router": 8001, "llm-worker": 8002, "health": 8003}
# Inside a container the services must listen on every interface to be reachable at all.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104

_COMPOSE_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
)
_BUILD_VARIABLE = re.compile(r"\$\{(?P<braced>[A-Za-z_]\w*)\}|\$(?P<bare>[A-Za-z_]\w*)")


class MissingVariableError(ValueError):
    """The compose file needs a variable that has no default, so `docker compose up` would need an .env."""


def interpolate(value: Any) -> Any:
    """Compose interpolation against an empty environment.

    `${VAR:-default}` and `${VAR-default}` give the default and `$$` is a literal `$`; `$VAR`, `${VAR}`
    and `${VAR:?error}` have no default and raise MissingVariableError.
    """
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name = match.group("braced") or match.group("bare")
            operator = match.group("op")
            if operator is None or operator.endswith("?"):
                raise MissingVariableError(name)
            return match.group("arg")

        return _COMPOSE_VARIABLE.sub(substitute, value)
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    return value


def load_compose_raw(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file as YAML (anchors and `<<` merges resolved), before interpolation."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file as `docker compose up` sees it with no environment variables set."""
    data = interpolate(load_compose_raw(path))
    assert isinstance(data, dict)
    return data


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    """A service's `environment` (mapping or KEY=VALUE list) as the strings the container receives."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    return {str(key): "" if value is None else _scalar(value) for key, value in raw.items()}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [item for item in self.instructions if item.keyword == keyword]


@dataclass
class Dockerfile:
    path: Path
    global_args: dict[str, str]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def resolve(self, text: str) -> str:
        """Replace `$ARG`/`${ARG}` with the ARG defaults; unknown names (e.g. `$PATH`) stay as they are."""

        def substitute(match: re.Match[str]) -> str:
            name = match.group("braced") or match.group("bare")
            return self.global_args.get(name, match.group(0))

        return _BUILD_VARIABLE.sub(substitute, text)

    def env(self, stage: Stage) -> dict[str, str]:
        """The ENV a stage sets, with ARG references resolved."""
        result: dict[str, str] = {}
        for item in stage.all("ENV"):
            for pair in shlex.split(self.resolve(item.args)):
                key, _, value = pair.partition("=")
                result[key] = value
        return result


def parse_instructions(text: str) -> list[Instruction]:
    """Dockerfile instructions with line continuations joined and comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # blank and comment lines, also inside a continuation (Docker ignores them there too)
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        pending = ""
    assert not pending, "the Dockerfile ends inside a line continuation"
    return instructions


def read_dockerfile(path: Path) -> Dockerfile:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for item in parse_instructions(path.read_text(encoding="utf-8")):
        if item.keyword == "FROM":
            words = item.args.split()
            words = [word for word in words if not word.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif not stages:
            assert item.keyword == "ARG", f"{path}:{item.line}: only ARG may come before the first FROM"
            key, _, value = item.args.partition("=")
            global_args[key] = shlex.split(value)[0] if value.strip() else ""
        else:
            stages[-1].instructions.append(item)
    dockerfile = Dockerfile(path=path, global_args=global_args, stages=stages)
    for stage in stages:
        stage.base = dockerfile.resolve(stage.base)
    return dockerfile
