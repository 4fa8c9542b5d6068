"""Intake's MongoDB adapter: cases, documents and runs (tasks, with their artifacts), all scoped by tenant.

What the database forces on the use cases stays here (the README's "Intake's data" lists every write):
- every filter is on `_id` alone: FerretDB's SQLite backend answers nothing else from an index and
  would scan the collection, so a tenant is never a filter term. Who owns a case or a run never changes,
  so it is checked once (an insert that succeeds makes it ours; a duplicate key, the rare case, is read
  to tell a redelivery from another tenant's id) and then remembered in a bounded cache;
- updates of one document are serialised in this process (`document_lock`): FerretDB does not apply an
  update atomically, and the HTTP API, the consumer and the outbox relay all update cases and runs;
- a run is one document: each stage result (or the results of one run that came in one consumer batch)
  is one write of its stage, its artifacts (`outputs`) and its summary for the worklist; the run's status
  is derived from its stages when read (domain/runs.py).
Every write is idempotent (ids chosen by the caller), so a redelivered event converges to the same state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from denialops_intake.domain.runs import is_cancelled, with_status
from denialops_intake.domain.worklist import ItemUpdate
from denialops_shared.contracts.cloudevents import EncodedEvent
from denialops_shared.mongo import Document, document_lock
from denialops_shared.outbox import update_with_events, with_events

# Each tenant's worklist items are small documents (`_id` = case id) in a collection of its own,
# `work_items_<tenant>`: an item's update costs the same however many cases there are (FerretDB rewrites
# a whole document per update), and a tenant's list reads only its own items (FerretDB answers nothing
# but `_id` from an index, so a shared collection would be scanned across every tenant's cases).
WORK_ITEMS = "work_items_"
# Owners of this many cases and runs are remembered (a few MB); one forgotten costs one read again.
OWNER_CACHE = 20_000
# A run as the use cases see it: everything but its artifacts' contents and its outbox (a projection for
# reads; FerretDB 1.24 has none for findAndModify, so `_state` drops them from what a write returns).
RUN_STATE: Document = {"outputs": 0, "outbox": 0}

CaseUpdate = Callable[[Document], tuple[Document, list[Document]]]
RunChange = Callable[[Document], tuple[Document, list[EncodedEvent]] | None]


class OwnedElsewhere(Exception):
    """The id names another tenant's case or run (or, for a run, another case)."""


@dataclass
class StageResult:
    """One stage.completed, as it is recorded on its run."""

    stage: str
    doc: Document
    artifacts: list[Document]
    received: dt.datetime
    # The worklist's summary of this stage's artifacts (`facts` or `route`), when it has one.
    summary: tuple[str, Document] | None = None
    # The first result that ends the run sets when it finished; a later one (a redelivery) keeps it.
    finishes: bool = False


@dataclass
class RecordedStage:
    run: Document  # the run as written (without artifacts' contents), its status derived
    before: Document | None  # the run before this write; None when this write created it
    refused: bool = False  # the run was cancelled: the result is not the run's and was not kept


class IntakeRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.cases: AsyncCollection[Document] = db["cases"]
        self.documents: AsyncCollection[Document] = db["documents"]
        self.runs: AsyncCollection[Document] = db["runs"]
        self._db = db
        self.remittances: AsyncCollection[Document] = db["remittances"]
        # (collection, id) -> tenant (a case or document) or (tenant, case) (a run): owners never change.
        self._owners: LRUCache[tuple[str, str], Any] = LRUCache(maxsize=OWNER_CACHE)

    async def create_indexes(self) -> None:
        await self.cases.create_index([("tenant_id", ASCENDING), ("created_at", DESCENDING)])
        await self.runs.create_index([("tenant_id", ASCENDING), ("created_at", DESCENDING)])
        for collection in (self.cases, self.documents, self.runs):
            await collection.create_index([("outbox_at", ASCENDING)])

    def _remember(self, collection: AsyncCollection[Document], doc_id: str, owner: Any) -> None:
        self._owners[(collection.name, doc_id)] = owner

    async def _owner(self, collection: AsyncCollection[Document], doc_id: str) -> Any:
        """Who owns the case, document or run (None when it does not exist yet): remembered, else read once."""
        key = (collection.name, doc_id)
        if key in self._owners:
            return self._owners[key]
        found = await collection.find_one({"_id": doc_id}, {"tenant_id": 1, "case_id": 1})
        if found is None:
            return None
        owner = (found.get("tenant_id"), found.get("case_id")) if collection is self.runs else found.get("tenant_id")
        self._remember(collection, doc_id, owner)
        return owner

    # -- writes that emit events (state + outbox in one document write) --------------------------

    async def insert_with_events(
        self, collection: AsyncCollection[Document], doc: Document, events: list[EncodedEvent]
    ) -> bool:
        """Insert `doc` carrying `events`; False when a document with that id already exists."""
        try:
            await collection.insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        owner = (doc["tenant_id"], doc["case_id"]) if collection is self.runs else doc["tenant_id"]
        self._remember(collection, doc["_id"], owner)
        return True

    async def change_run(self, tenant_id: str, run_id: str, change: RunChange) -> tuple[Document, bool] | None:
        """Read the tenant's run under its lock, let `change` decide (it may raise: then nothing is written),
        and write its fields and events in one update; (the run as written, whether it changed), None when
        there is no such run for the tenant."""
        async with document_lock(self.runs, run_id):
            run = await self.get_run(tenant_id, run_id)
            if run is None:
                return None
            decided = change(run)
            if decided is None:
                return run, False
            fields, events = decided
            written = await self.runs.find_one_and_update(
                {"_id": run_id}, update_with_events(fields, events), return_document=ReturnDocument.AFTER
            )
        return (with_status(_state(written)), True) if written is not None else None

    async def link(self, tenant_id: str, case_id: str, links: dict[str, str], now: dt.datetime) -> None:
        """Record documents or runs on their case ({"document_ids": id, "run_ids": id}) in one write,
        creating the case's document if it is not there yet (its owner was checked by the caller)."""
        async with document_lock(self.cases, case_id):
            await self.cases.update_one(
                {"_id": case_id},
                {"$addToSet": links, "$setOnInsert": {"tenant_id": tenant_id, "created_at": now}},
                upsert=True,
            )
        self._remember(self.cases, case_id, tenant_id)

    async def save_remittance(self, remittance: Document) -> None:
        """A received 835 file's summary (by `_id`: the same file again changes nothing)."""
        await self.remittances.update_one({"_id": remittance["_id"]}, {"$setOnInsert": remittance}, upsert=True)

    # -- projections of consumed events ------------------------------------------------------------

    async def check_case_owner(self, tenant_id: str, case_id: str) -> None:
        """OwnedElsewhere unless the case is the tenant's or does not exist yet."""
        if await self._owner(self.cases, case_id) not in (None, tenant_id):
            raise OwnedElsewhere

    async def project_case(self, case: Document, run_ids: list[str], document_ids: Sequence[str] = ()) -> bool:
        """An upstream case (with the runs it starts by itself, and the documents that came with it): one
        insert; True when it made the case. A duplicate key is a redelivery, a case an early document event
        created (then its fields are set, and the caller links `document_ids`), or another tenant's case."""
        tenant_id, case_id = case["tenant_id"], case["_id"]
        try:
            await self.cases.insert_one({**case, "document_ids": list(document_ids), "run_ids": run_ids})
        except DuplicateKeyError:
            async with document_lock(self.cases, case_id):
                found = await self.cases.find_one({"_id": case_id}, {"tenant_id": 1, "mode": 1})
                if found is None or found.get("tenant_id") != tenant_id:
                    raise OwnedElsewhere from None
                if "mode" not in found:
                    fields = {k: v for k, v in case.items() if k not in ("_id", "created_at")}
                    update: Document = {"$set": fields}
                    if run_ids:
                        update["$addToSet"] = {"run_ids": {"$each": run_ids}}
                    await self.cases.update_one({"_id": case_id}, update)
            self._remember(self.cases, case_id, tenant_id)
            return False
        self._remember(self.cases, case_id, tenant_id)
        return True

    async def project_document(self, document: Document) -> None:
        """An upstream document: one insert (its case's owner checked by the caller). A duplicate key is a
        redelivery, or another tenant's document id."""
        try:
            await self.documents.insert_one(document)
        except DuplicateKeyError:
            if await self._owner(self.documents, document["_id"]) != document["tenant_id"]:
                raise OwnedElsewhere from None
        self._remember(self.documents, document["_id"], document["tenant_id"])

    async def ensure_run(self, run: Document) -> None:
        """Create the run unless it exists (a retried upload)."""
        try:
            await self.runs.insert_one(run)
        except DuplicateKeyError:
            return
        self._remember(self.runs, run["_id"], (run["tenant_id"], run["case_id"]))

    async def record_stages(
        self, tenant_id: str, case_id: str, run_id: str, results: Sequence[StageResult], *, unless_cancelled: bool
    ) -> RecordedStage:
        """Record stage results of one run (one, or several that came in one consumer batch), their artifacts
        and summaries, in one write of the run, creating it if intake has not seen it (upstream's auto run).
        With `unless_cancelled`, a run already cancelled refuses them (the write is undone: a cancel that
        raced these results wins). OwnedElsewhere for another tenant's or case's run."""
        fields: Document = {}
        for result in results:
            fields[f"stages.{result.stage}"] = result.doc
            fields[f"outputs.{result.stage}"] = result.artifacts
            if result.summary is not None:
                fields[f"projection.{result.summary[0]}"] = result.summary[1]
        received = results[-1].received
        fields["updated_at"] = received
        async with document_lock(self.runs, run_id):
            # A run not seen yet is created by its first result: an insert, and a duplicate key (a run this
            # process has not seen, or another tenant's) is read once to tell.
            owner = self._owners.get((self.runs.name, run_id))
            if owner is None:
                created = await self._create_run(tenant_id, case_id, run_id, results)
                if created is not None:
                    return RecordedStage(run=with_status(created), before=None)
                owner = await self._owner(self.runs, run_id)
            if owner != (tenant_id, case_id):
                raise OwnedElsewhere
            update: Document = {
                "$set": fields,
                "$setOnInsert": {
                    "tenant_id": tenant_id,
                    "case_id": case_id,
                    "requested_by": "auto",
                    "created_at": received,
                },
            }
            if any(result.finishes for result in results):
                update["$min"] = {"finished_at": received}
            found = await self.runs.find_one_and_update(
                {"_id": run_id}, update, upsert=True, return_document=ReturnDocument.BEFORE
            )
            before = _state(found) if found is not None else None
            if unless_cancelled and before is not None and is_cancelled(before):
                # Stages it had before the cancel were written again as they were (a redelivery): nothing to undo.
                if any(result.stage not in (before.get("stages") or {}) for result in results):
                    undo = {key: "" for key in fields if key != "updated_at" and not _present(before, key)}
                    await self.runs.update_one({"_id": run_id}, {"$unset": undo})
                return RecordedStage(run=with_status(before), before=before, refused=True)
        return RecordedStage(run=with_status(_after(before, tenant_id, case_id, results)), before=before)

    async def _create_run(
        self, tenant_id: str, case_id: str, run_id: str, results: Sequence[StageResult]
    ) -> Document | None:
        """A run intake has not seen, created with its first stages; None when it exists after all."""
        received = results[-1].received
        run: Document = {
            "_id": run_id,
            "tenant_id": tenant_id,
            "case_id": case_id,
            "requested_by": "auto",
            "created_at": received,
            "updated_at": received,
            "stages": {result.stage: result.doc for result in results},
            "outputs": {result.stage: result.artifacts for result in results},
        }
        summaries = dict(result.summary for result in results if result.summary is not None)
        if summaries:
            run["projection"] = summaries
        if any(result.finishes for result in results):
            run["finished_at"] = received
        try:
            await self.runs.insert_one(run)
        except DuplicateKeyError:
            return None
        self._remember(self.runs, run_id, (tenant_id, case_id))
        return {k: v for k, v in run.items() if k != "outputs"}

    # -- reads, always scoped by tenant --------------------------------------------------------------
    # Single reads go by `_id` (the tenant is checked on the result) and a case lists its own documents
    # and runs (see the module docstring).

    async def _owned(
        self, collection: AsyncCollection[Document], tenant_id: str, doc_id: str, projection: Document | None = None
    ) -> Document | None:
        found = await collection.find_one({"_id": doc_id}, projection)
        return found if found is not None and found.get("tenant_id") == tenant_id else None

    async def get_case(self, tenant_id: str, case_id: str) -> Document | None:
        case = await self._owned(self.cases, tenant_id, case_id, {"outbox": 0})
        # A case linked by an early document event exists only once case.created arrived.
        return case if case is not None and "mode" in case else None

    async def list_cases(self, tenant_id: str, limit: int, skip: int) -> list[Document]:
        cursor = self.cases.find({"tenant_id": tenant_id}, {"outbox": 0}).sort("created_at", DESCENDING)
        return [c for c in await cursor.skip(skip).limit(limit).to_list() if "mode" in c]

    async def case_documents(self, tenant_id: str, case_id: str) -> list[Document]:
        case = await self._owned(self.cases, tenant_id, case_id, {"document_ids": 1, "tenant_id": 1})
        ids = case.get("document_ids", []) if case else []
        found = [await self._owned(self.documents, tenant_id, i, {"outbox": 0, "pages": 0}) for i in ids]
        return sorted((d for d in found if d is not None), key=lambda d: d["created_at"])

    async def document_pages(self, tenant_id: str, case_id: str, document_id: str) -> Document | None:
        """One of the case's documents with its page texts."""
        case = await self._owned(self.cases, tenant_id, case_id, {"document_ids": 1, "tenant_id": 1})
        if case is None or document_id not in case.get("document_ids", []):
            return None
        return await self._owned(self.documents, tenant_id, document_id, {"outbox": 0})

    async def has_denial_letter(self, tenant_id: str, case_id: str) -> bool:
        return any(d["doc_type"] == "denial_letter" for d in await self.case_documents(tenant_id, case_id))

    async def get_run(self, tenant_id: str, run_id: str) -> Document | None:
        run = await self._owned(self.runs, tenant_id, run_id, RUN_STATE)
        return with_status(run) if run is not None else None

    async def case_runs(self, tenant_id: str, case_id: str, case: Document | None = None) -> list[Document]:
        """The case's runs, newest first (`case`: the case as the caller read it for the tenant, saving a read)."""
        if case is None:
            case = await self._owned(self.cases, tenant_id, case_id, {"run_ids": 1, "tenant_id": 1})
        found = [await self.get_run(tenant_id, run_id) for run_id in (case or {}).get("run_ids", [])]
        return sorted((r for r in found if r is not None), key=lambda r: r["created_at"], reverse=True)

    async def list_runs(self, tenant_id: str, limit: int, skip: int) -> list[Document]:
        cursor = self.runs.find({"tenant_id": tenant_id}, RUN_STATE).sort("created_at", DESCENDING)
        return [with_status(run) for run in await cursor.skip(skip).limit(limit).to_list()]

    async def run_artifacts(self, tenant_id: str, run_id: str, *, with_content: bool) -> list[Document]:
        """The run's artifacts, by name (one read: they are kept on the run)."""
        run = await self._owned(self.runs, tenant_id, run_id, {"outputs": 1, "case_id": 1, "tenant_id": 1})
        if run is None:
            return []
        found = {
            artifact["name"]: {**artifact, "stage": stage, "run_id": run_id, "case_id": run["case_id"]}
            for stage, artifacts in (run.get("outputs") or {}).items()
            for artifact in artifacts
        }
        if not with_content:
            found = {name: {k: v for k, v in a.items() if k != "content"} for name, a in found.items()}
        return [found[name] for name in sorted(found)]

    async def get_artifact(self, tenant_id: str, run_id: str, name: str) -> Document | None:
        artifacts = await self.run_artifacts(tenant_id, run_id, with_content=True)
        return next((a for a in artifacts if a["name"] == name), None)

    # -- case work: the case's own state and history, and its worklist item ---------------------------

    async def update_case_work(self, tenant_id: str, case_id: str, apply: CaseUpdate) -> Document | None:
        """Read the case under its lock, let `apply` decide (it may raise: then nothing is written), and write
        its fields and history entries in one update; the case as written, None when it is not the tenant's."""
        async with document_lock(self.cases, case_id):
            case = await self._owned(self.cases, tenant_id, case_id, {"outbox": 0})
            if case is None or "mode" not in case:
                return None
            fields, history = apply(case)
            if history:
                await self.cases.update_one(
                    {"_id": case_id}, {"$set": fields, "$push": {"history": {"$each": history}}}
                )
            return {**case, **fields, "history": [*case.get("history", []), *history]}

    async def record_reminder(self, case_id: str, key: str, event: EncodedEvent) -> bool:
        """Mark the reminder `key` sent on its case, with its event in the case's outbox, in one write;
        False when it was sent already (that mark is what makes each reminder go out once)."""
        async with document_lock(self.cases, case_id):
            case = await self.cases.find_one({"_id": case_id}, {"reminders_sent": 1})
            if case is None or key in case.get("reminders_sent", []):
                return False
            update = update_with_events({}, [event])
            update["$addToSet"] = {"reminders_sent": key}
            await self.cases.update_one({"_id": case_id}, update)
            return True

    def work_items(self, tenant_id: str) -> AsyncCollection[Document]:
        return self._db[f"{WORK_ITEMS}{tenant_id}"]

    async def work_item(self, tenant_id: str, case_id: str) -> Document | None:
        return await self.work_items(tenant_id).find_one({"_id": case_id})

    async def set_work_fields(self, tenant_id: str, case_id: str, fields: Document) -> None:
        """Set some of the item's fields, creating it if needed."""
        items = self.work_items(tenant_id)
        async with document_lock(items, case_id):
            await items.update_one({"_id": case_id}, {"$set": fields}, upsert=True)

    async def update_work_item(self, tenant_id: str, case_id: str, update: ItemUpdate) -> None:
        """Apply `update` to the item in one write, without reading it."""
        command: Document = {"$set": {**update.set, "case_id": case_id}}
        if update.earliest:
            command["$min"] = dict(update.earliest)
        if update.unset:
            command["$unset"] = dict.fromkeys(update.unset, "")
        items = self.work_items(tenant_id)
        async with document_lock(items, case_id):
            await items.update_one({"_id": case_id}, command, upsert=True)

    async def add_reminded(self, tenant_id: str, case_id: str, key: str) -> None:
        """Note on the item that a reminder went out, so later sweeps need not ask the case again."""
        items = self.work_items(tenant_id)
        async with document_lock(items, case_id):
            await items.update_one({"_id": case_id}, {"$addToSet": {"reminded": key}}, upsert=True)

    async def tenant_work_items(self, tenant_id: str) -> list[Document]:
        """Every worklist item of the tenant (its own collection: no other tenant's case is read)."""
        return [item async for item in self.work_items(tenant_id).find({}) if "case_id" in item]


def _present(run: Document, path: str) -> bool:
    """Whether the dotted field `path` (e.g. `stages.plan`) is set on `run`."""
    head, _, rest = path.partition(".")
    value = run.get(head)
    return value is not None if not rest else isinstance(value, dict) and _present(value, rest)


def _after(before: Document | None, tenant_id: str, case_id: str, results: Sequence[StageResult]) -> Document:
    """The run as `record_stages`'s update left it, from the run before it (no read back)."""
    run: Document = dict(before) if before is not None else {"tenant_id": tenant_id, "case_id": case_id}
    received = results[-1].received
    run["stages"] = {**(run.get("stages") or {}), **{result.stage: result.doc for result in results}}
    run["updated_at"] = received
    run.setdefault("created_at", received)
    summaries = dict(result.summary for result in results if result.summary is not None)
    if summaries:
        run["projection"] = {**(run.get("projection") or {}), **summaries}
    if any(result.finishes for result in results):
        finished = run.get("finished_at")
        run["finished_at"] = received if finished is None else min(finished, received)
    return run


def _state(run: Document) -> Document:
    return {k: v for k, v in run.items() if k not in RUN_STATE}
