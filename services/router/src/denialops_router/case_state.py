"""What the router knows of a case, as the facts its events record, and which runs that makes ready (pure).

A case's state is a plain document: `mode` (from case.created), `documents` (document id -> doc type,
added_at, pages) and `runs` (run id -> requested, letter, cancelled). Every event records its facts by
setting paths in it, never by reading it first: setting a path twice is the same as once, so events
apply in any order and any number of times. A run is ready when the case is known (mode), the run was
requested, not cancelled, and its letter has arrived.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    EventBody,
    RunCancelled,
    RunRequested,
    auto_run_id,
)

Path = tuple[str, ...]
# The paths an event sets in its case's state, with their values.
Facts = dict[Path, Any]
State = dict[str, Any]


def facts_of(body: EventBody, time: dt.datetime) -> Facts:
    """The facts an event records (`time`: when it happened, which orders a case's documents)."""
    if isinstance(body, CaseCreated):
        facts: Facts = {("mode",): body.mode.value}
        if body.auto_run:
            facts[("runs", auto_run_id(body.case_id), "requested")] = True
        return facts
    if isinstance(body, DocumentAdded):
        # Stored to the millisecond, as BSON keeps it, so a state read back orders its documents the same.
        added_at = time.replace(microsecond=time.microsecond // 1000 * 1000)
        document = {
            "doc_type": body.doc_type.value,
            "added_at": added_at,
            "pages": [p.text for p in body.pages],
            "extraction_method": body.extraction_method,
        }
        return {("documents", body.document_id): document}
    if isinstance(body, RunRequested):
        facts = {("runs", body.run_id, "requested"): True}
        if body.document_id is not None:
            # The run reads this letter, and waits for it if its document.added is still on its way.
            facts[("runs", body.run_id, "letter")] = body.document_id
        return facts
    if isinstance(body, RunCancelled):
        return {("runs", body.run_id, "cancelled"): True}
    raise TypeError(f"the router records no {type(body).__name__}")


def apply(state: State, facts: Facts) -> State:
    """`state` with `facts` set (a new document; `state` is left as it was)."""
    result = _copy(state)
    for path, value in facts.items():
        node = result
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return result


def _copy(state: State) -> State:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in state.items()}


def recorded(state: State, facts: Facts) -> bool:
    """Whether `state` already holds every path of `facts` (the event was seen before: a redelivery)."""
    return all(_get(state, path) is not None for path in facts)


def _get(state: State, path: Path) -> Any:
    node: Any = state
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


@dataclasses.dataclass(frozen=True, slots=True)
class ReadyRun:
    """A run whose documents are all there: the letter it reads, and the case's EOBs and plan documents."""

    run_id: str
    letter_id: str


def ready_runs(case_id: str, state: State) -> dict[str, ReadyRun]:
    """The runs of the case that can start now, by run id (whether or not they already started)."""
    if "mode" not in state:
        return {}  # case.created has not arrived yet
    letters = [doc_id for doc_id, _ in documents_in_order(state, DocType.DENIAL_LETTER)]
    ready: dict[str, ReadyRun] = {}
    for run_id, run in state.get("runs", {}).items():
        if not run.get("requested") or run.get("cancelled") or not letters:
            continue
        letter = _letter_of(run_id, run, case_id, letters)
        if letter is not None:
            ready[run_id] = ReadyRun(run_id, letter)
    return ready


def _letter_of(run_id: str, run: Mapping[str, Any], case_id: str, letters: list[str]) -> str | None:
    """The letter a run reads: the one it names (None until it arrives), the case's first for its auto run,
    else the newest (a run requested after a later letter reads that letter)."""
    named = run.get("letter")
    if named is not None:
        return named if named in letters else None
    return letters[0] if run_id == auto_run_id(case_id) else letters[-1]


def documents_in_order(state: State, *doc_types: DocType) -> list[tuple[str, Mapping[str, Any]]]:
    """The case's documents of these types, in the order they were added."""
    wanted = {t.value for t in doc_types}
    found = [(doc_id, doc) for doc_id, doc in state.get("documents", {}).items() if doc["doc_type"] in wanted]
    return sorted(found, key=lambda item: (item[1]["added_at"], item[0]))
