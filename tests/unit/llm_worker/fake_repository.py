"""The llm-worker repository's contract in memory (tests/unit/llm_worker/test_generator.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from denialops_llm_worker.repository import RunInputs, run_inputs
from denialops_shared.contracts.cloudevents import EncodedEvent
from denialops_shared.contracts.events import Page


@dataclass
class Outcome:
    status: str
    events: list[EncodedEvent]


class InMemoryGeneratorRepository:
    """The same contract in memory, for fast tests of the use cases."""

    def __init__(self) -> None:
        self.runs: dict[str, dict[str, str]] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.letters: dict[str, list[Page]] = {}

    async def add_inputs(self, run_id: str, tenant_id: str, case_id: str, inputs: Mapping[str, str]) -> RunInputs:
        run = self.runs.setdefault(run_id, {"tenant_id": tenant_id, "case_id": case_id})
        run.update(inputs)
        return run_inputs(run)

    async def owner(self, run_id: str) -> tuple[str, str] | None:
        run = self.runs.get(run_id)
        return None if run is None else (run["tenant_id"], run["case_id"])

    async def finish(self, run_id: str, status: str, events: Sequence[EncodedEvent]) -> bool:
        if run_id in self.outcomes:
            return False
        self.outcomes[run_id] = Outcome(status, list(events))
        return True

    async def save_letter(self, tenant_id: str, case_id: str, document_id: str, pages: Sequence[Page]) -> None:
        self.letters[f"{tenant_id}:{case_id}"] = list(pages)

    async def letter(self, tenant_id: str, case_id: str) -> list[Page]:
        return list(self.letters.get(f"{tenant_id}:{case_id}", []))

    async def create_indexes(self) -> None:
        return None
