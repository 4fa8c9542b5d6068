"""Where the llm-worker keeps a run's inputs and its outcome: the port and its MongoDB adapter.

Per case, three commands (README, "Data design"): each of the two input stages is one upsert of the
run's document by `_id` that also returns it, so the stage that brings the second input learns both
are in without a read; generating ends with one insert of the outcome by `_id`, whose duplicate key is
the idempotency check (generated or cancelled already), so nothing is read to decide. When both input
stages come in one consumer batch, that insert is the only command (the inputs are not recorded).
FerretDB answers only `_id` filters from an index, so every filter here is `_id` alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from denialops_shared.contracts.cloudevents import EncodedEvent
from denialops_shared.contracts.events import Page
from denialops_shared.mongo import Document
from denialops_shared.outbox import with_events

# The inputs a run collects, by field: case facts, the route decision and the deadlines (JSON texts).
INPUT_FIELDS = ("facts", "decision", "deadlines")


@dataclass(frozen=True, slots=True)
class RunInputs:
    """A run's owner and the inputs collected so far."""

    tenant_id: str
    case_id: str
    inputs: Mapping[str, str]

    @property
    def ready(self) -> bool:
        return "facts" in self.inputs and "decision" in self.inputs


class GeneratorRepository(Protocol):
    async def add_inputs(self, run_id: str, tenant_id: str, case_id: str, inputs: Mapping[str, str]) -> RunInputs:
        """Record `inputs` on the run (created, owned by tenant and case, if new); the run as it is now."""
        ...

    async def owner(self, run_id: str) -> tuple[str, str] | None:
        """(tenant, case) of a run that has inputs; None for one never seen."""
        ...

    async def finish(self, run_id: str, status: str, events: Sequence[EncodedEvent]) -> bool:
        """Record the run's outcome with its events (the outbox); False if it was finished before."""
        ...

    async def save_letter(self, tenant_id: str, case_id: str, document_id: str, pages: Sequence[Page]) -> None: ...

    async def letter(self, tenant_id: str, case_id: str) -> list[Page]: ...

    async def create_indexes(self) -> None: ...


def run_inputs(document: Mapping[str, Any]) -> RunInputs:
    inputs = {name: document[name] for name in INPUT_FIELDS if name in document}
    return RunInputs(document["tenant_id"], document["case_id"], inputs)


class MongoGeneratorRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.runs = db["runs"]
        # The outcome, once per run, with its events: the collection the outbox relays from.
        self.outcomes = db["outcomes"]
        # The denial letter's pages, kept only while an LLM is configured (it reads them to refine facts).
        self.letters = db["letters"]

    async def add_inputs(self, run_id: str, tenant_id: str, case_id: str, inputs: Mapping[str, str]) -> RunInputs:
        run = await self.runs.find_one_and_update(
            {"_id": run_id},
            {"$set": dict(inputs), "$setOnInsert": {"tenant_id": tenant_id, "case_id": case_id}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert run is not None  # an upsert always returns a document
        return run_inputs(run)

    async def owner(self, run_id: str) -> tuple[str, str] | None:
        run = await self.runs.find_one({"_id": run_id}, {"tenant_id": 1, "case_id": 1})
        return None if run is None else (run["tenant_id"], run["case_id"])

    async def finish(self, run_id: str, status: str, events: Sequence[EncodedEvent]) -> bool:
        outcome = {"_id": run_id, "status": status, "finished_at": dt.datetime.now(dt.UTC)}
        try:
            await self.outcomes.insert_one(with_events(outcome, events))
        except DuplicateKeyError:
            return False
        return True

    async def save_letter(self, tenant_id: str, case_id: str, document_id: str, pages: Sequence[Page]) -> None:
        await self.letters.update_one(
            {"_id": f"{tenant_id}:{case_id}"},
            {"$set": {"pages": [page.model_dump() for page in pages], "document_id": document_id}},
            upsert=True,
        )

    async def letter(self, tenant_id: str, case_id: str) -> list[Page]:
        found = await self.letters.find_one({"_id": f"{tenant_id}:{case_id}"})
        return [Page.model_validate(page) for page in found["pages"]] if found else []

    async def create_indexes(self) -> None:
        # The outbox's start-up sweep finds outcomes whose events may be unsent by `outbox_at`.
        await self.outcomes.create_index([("outbox_at", ASCENDING)])
