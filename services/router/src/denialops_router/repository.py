"""The router's storage: one document per case holding what its runs need, one per started run.

`record` is the one write of an event (or of a case.created and its document.added that came in one
consumer batch): it sets the event's facts in the case's state and returns the
state as it was before (one findAndModify, upsert), from which the router computes the state after
without reading it again. `claim` inserts a run with its events (the outbox): the duplicate key is what
says the run already started or was cancelled.

What FerretDB forces on us stays here. Its SQLite backend answers only a filter on `_id` alone from an
index (anything more scans the collection), so no write can be conditional on the case's tenant. Each
tenant's facts are therefore kept apart inside the case (`by_tenant.<tenant>`), the owner being the
tenant whose event created the document (`$setOnInsert`): a write of another tenant's event touches only
its own part, which is removed again before the event is refused. MongoDB runs the same code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from denialops_router.case_state import Facts, State, apply
from denialops_shared.contracts.cloudevents import EncodedEvent, InvalidEvent
from denialops_shared.mongo import Document
from denialops_shared.outbox import with_events

# A case keeps its documents' pages while they add up to at most this (UTF-8 bytes); a document past it
# is kept apart, in `documents`, and read when a run needs it. A document.added carries at most one Kafka
# record (900 KiB), so the case document stays under about 5 MiB, far from MongoDB's 16 MiB.
PAGES_BUDGET = 4 * 1024 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class Recorded:
    """A case's state (its owner's facts) before and after one event's facts were set."""

    before: State
    after: State


class RouterRepository(Protocol):
    async def record(self, case_id: str, tenant_id: str, facts: Facts) -> Recorded:
        """Set `facts` in the case's state; InvalidEvent `tenant_mismatch` if the case is another tenant's."""
        ...

    async def pages_kept_apart(self, case_id: str, document_id: str) -> list[str]:
        """The pages of a document the case keeps apart (`apart` in its state)."""
        ...

    async def run_started(self, run_id: str) -> bool: ...

    async def claim(self, run: Document, events: Sequence[EncodedEvent]) -> bool:
        """Insert the run with its events in its outbox; False when it already started or was cancelled."""
        ...


def pages_bytes(state: State) -> int:
    return sum(len(p.encode()) for doc in state.get("documents", {}).values() for p in doc.get("pages") or ())


def kept_apart(state: State, document_id: str) -> State:
    """`state` with the document's pages left out (kept apart)."""
    documents = dict(state["documents"])
    documents[document_id] = {k: v for k, v in documents[document_id].items() if k != "pages"} | {"apart": True}
    return {**state, "documents": documents}


def _added_document(facts: Facts) -> str | None:
    return next((path[1] for path in facts if path[0] == "documents"), None)


def _mismatch() -> InvalidEvent:
    return InvalidEvent("tenant_mismatch", "the case belongs to another tenant")


def _key(name: str) -> str:
    # Ids may hold dots, which a field path would read as nesting; '%' is not allowed in an id.
    return name.replace(".", "%2E")


def _name(key: str) -> str:
    return key.replace("%2E", ".")


def _field(tenant_id: str, path: tuple[str, ...]) -> str:
    return ".".join(("by_tenant", _key(tenant_id), *map(_key, path)))


def _state(stored: Document | None, tenant_id: str) -> State:
    part: Document = ((stored or {}).get("by_tenant") or {}).get(_key(tenant_id)) or {}
    state: State = {k: v for k, v in part.items() if k not in ("documents", "runs")}
    for name in ("documents", "runs"):
        if name in part:
            state[name] = {_name(k): v for k, v in part[name].items()}
    return state


class MongoRouterRepository:
    def __init__(self, db: AsyncDatabase[Document], pages_budget: int = PAGES_BUDGET) -> None:
        self.cases = db["cases"]
        self.documents = db["documents"]
        self.runs = db["runs"]
        self._pages_budget = pages_budget

    async def create_indexes(self) -> None:
        await self.runs.create_index([("outbox_at", ASCENDING)])

    async def record(self, case_id: str, tenant_id: str, facts: Facts) -> Recorded:
        update = {
            "$setOnInsert": {"tenant_id": tenant_id},
            "$set": {_field(tenant_id, path): value for path, value in facts.items()},
        }
        stored = await self.cases.find_one_and_update(
            {"_id": case_id}, update, upsert=True, return_document=ReturnDocument.BEFORE
        )
        if stored is not None and stored.get("tenant_id") != tenant_id:
            # Another tenant's case: take this tenant's part out again (it was never read), and refuse.
            await self.cases.update_one({"_id": case_id}, {"$unset": {_field(tenant_id, ()): ""}})
            raise _mismatch()
        before = _state(stored, tenant_id)
        after = apply(before, facts)
        document_id = _added_document(facts)
        if document_id is not None and pages_bytes(after) > self._pages_budget:
            await self._keep_apart(case_id, tenant_id, document_id, after["documents"][document_id]["pages"])
        return Recorded(before, after)

    async def _keep_apart(self, case_id: str, tenant_id: str, document_id: str, pages: list[str]) -> None:
        await self.documents.update_one({"_id": f"{case_id}/{document_id}"}, {"$set": {"pages": pages}}, upsert=True)
        field = _field(tenant_id, ("documents", document_id))
        await self.cases.update_one(
            {"_id": case_id}, {"$set": {f"{field}.apart": True}, "$unset": {f"{field}.pages": ""}}
        )

    async def pages_kept_apart(self, case_id: str, document_id: str) -> list[str]:
        found = await self.documents.find_one({"_id": f"{case_id}/{document_id}"})
        if found is None:
            raise LookupError("a document kept apart is missing")
        return list(found["pages"])

    async def run_started(self, run_id: str) -> bool:
        return await self.runs.find_one({"_id": run_id}, {"_id": 1}) is not None

    async def claim(self, run: Document, events: Sequence[EncodedEvent]) -> bool:
        try:
            await self.runs.insert_one(with_events(run, events))
        except DuplicateKeyError:
            return False
        return True


@dataclasses.dataclass
class InMemoryRouterRepository:
    """The same contract in memory, for unit tests of the use cases."""

    pages_budget: int = PAGES_BUDGET
    cases: dict[str, tuple[str, State]] = dataclasses.field(default_factory=dict)
    apart: dict[tuple[str, str], list[str]] = dataclasses.field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    commands: int = 0  # what the Mongo adapter would send, for tests of the use cases' cost

    async def record(self, case_id: str, tenant_id: str, facts: Facts) -> Recorded:
        self.commands += 1
        owner, before = self.cases.get(case_id, (tenant_id, {}))
        if owner != tenant_id:
            raise _mismatch()
        after = apply(before, facts)
        stored = after
        document_id = _added_document(facts)
        if document_id is not None and pages_bytes(after) > self.pages_budget:
            self.commands += 2
            self.apart[(case_id, document_id)] = list(after["documents"][document_id]["pages"])
            stored = kept_apart(after, document_id)
        self.cases[case_id] = (owner, stored)
        return Recorded(before, after)

    async def pages_kept_apart(self, case_id: str, document_id: str) -> list[str]:
        self.commands += 1
        return self.apart[(case_id, document_id)]

    async def run_started(self, run_id: str) -> bool:
        self.commands += 1
        return run_id in self.runs

    async def claim(self, run: Document, events: Sequence[EncodedEvent]) -> bool:
        self.commands += 1
        if run["_id"] in self.runs:
            return False
        self.runs[run["_id"]] = with_events(run, events)
        return True
