"""Intake's MongoDB adapter: cases, documents, runs (tasks) and artifacts, all scoped by tenant.

Every write is idempotent (ids chosen by the caller, upserts, `$setOnInsert`), so a redelivered
event or a retried request converges to the same state. Updates of one document are serialised in
this process (`document_lock`): the HTTP API, the consumer and the outbox relay all update cases and
runs, and FerretDB does not apply an update atomically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from denialops_intake.domain.worklist import ItemUpdate
from denialops_shared.contracts.cloudevents import EncodedEvent
from denialops_shared.mongo import Document, document_lock
from denialops_shared.outbox import update_with_events, with_events

DUPLICATE_KEY = 11000
# Each tenant's worklist items are small documents (`_id` = case id) in a collection of its own,
# `work_items_<tenant>`: an item's update costs the same however many cases there are (FerretDB rewrites
# a whole document per update), and a tenant's list reads only its own items (FerretDB answers nothing
# but `_id` from an index, so a shared collection would be scanned across every tenant's cases).
WORK_ITEMS = "work_items_"

CaseUpdate = Callable[[Document], tuple[Document, list[Document]]]


class IntakeRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.cases: AsyncCollection[Document] = db["cases"]
        self.documents: AsyncCollection[Document] = db["documents"]
        self.runs: AsyncCollection[Document] = db["runs"]
        self.artifacts: AsyncCollection[Document] = db["artifacts"]
        self._db = db
        self.remittances: AsyncCollection[Document] = db["remittances"]

    async def create_indexes(self) -> None:
        await self.cases.create_index([("tenant_id", ASCENDING), ("created_at", DESCENDING)])
        await self.documents.create_index([("case_id", ASCENDING)])
        await self.runs.create_index([("case_id", ASCENDING), ("created_at", DESCENDING)])
        await self.runs.create_index([("tenant_id", ASCENDING), ("created_at", DESCENDING)])
        await self.artifacts.create_index([("run_id", ASCENDING)])
        for collection in (self.cases, self.documents, self.runs):
            await collection.create_index([("outbox_at", ASCENDING)])

    # -- writes that emit events (state + outbox in one document write) --------------------------

    async def insert_with_events(
        self, collection: AsyncCollection[Document], doc: Document, events: list[EncodedEvent]
    ) -> bool:
        """Insert `doc` carrying `events`; False when a document with that id already exists."""
        try:
            await collection.insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    async def update_run_with_events(
        self, run_id: str, set_fields: Document, events: list[EncodedEvent]
    ) -> Document | None:
        """Update a run the caller has read for its tenant, with `events` in its outbox; the run as written."""
        async with document_lock(self.runs, run_id):
            return await self.runs.find_one_and_update(
                {"_id": run_id}, update_with_events(set_fields, events), return_document=ReturnDocument.AFTER
            )

    async def link(self, tenant_id: str, case_id: str, links: dict[str, str], now: dt.datetime) -> None:
        """Record documents or runs on their case ({"document_ids": id, "run_ids": id}) in one write,
        creating the case's document if it is not there yet."""
        async with document_lock(self.cases, case_id):
            await self.cases.update_one(
                {"_id": case_id},
                {"$addToSet": links, "$setOnInsert": {"tenant_id": tenant_id, "created_at": now}},
                upsert=True,
            )

    async def save_remittance(self, remittance: Document) -> None:
        """A received 835 file's summary (by `_id`: the same file again changes nothing)."""
        await self.remittances.update_one({"_id": remittance["_id"]}, {"$setOnInsert": remittance}, upsert=True)

    # -- projections of consumed events ------------------------------------------------------------

    async def upsert_case(self, case: Document) -> None:
        # `$set`, not `$setOnInsert`: an early document event may have created the case's document.
        fields = {k: v for k, v in case.items() if k not in ("_id", "created_at")}
        async with document_lock(self.cases, case["_id"]):
            await self.cases.update_one(
                {"_id": case["_id"]}, {"$set": fields, "$setOnInsert": {"created_at": case["created_at"]}}, upsert=True
            )

    async def upsert_document(self, document: Document) -> None:
        await self.documents.update_one({"_id": document["_id"]}, {"$setOnInsert": document}, upsert=True)

    async def record_stage(
        self, tenant_id: str, case_id: str, run_id: str, fields: Document, now: dt.datetime
    ) -> Document:
        """Set a stage's result (and the run's status) on the run, creating the run if intake has not seen
        it yet (upstream's auto run); returns the run as written."""
        async with document_lock(self.runs, run_id):
            run = await self.runs.find_one_and_update(
                {"_id": run_id},
                {
                    "$set": fields,
                    "$setOnInsert": {
                        "tenant_id": tenant_id,
                        "case_id": case_id,
                        "requested_by": "auto",
                        "created_at": now,
                    },
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        assert run is not None  # upsert always returns a document
        return run

    async def set_run_status(self, run_id: str, status: str, fields: Document) -> Document | None:
        """Set the run's status; returns the run as written (the caller checks for a cancel that raced it)."""
        async with document_lock(self.runs, run_id):
            return await self.runs.find_one_and_update(
                {"_id": run_id},
                {"$set": {"status": status, **fields}},
                return_document=ReturnDocument.AFTER,
            )

    async def discard_stage(self, run_id: str, stage: str, artifact_ids: list[str]) -> None:
        """Forget a stage result (and its artifacts) that arrived after the run was cancelled."""
        async with document_lock(self.runs, run_id):
            await self.runs.update_one({"_id": run_id}, {"$unset": {f"stages.{stage}": ""}})
        if artifact_ids:
            await self.artifacts.delete_many({"_id": {"$in": artifact_ids}})

    async def ensure_run(self, run: Document) -> None:
        """Create the run unless it exists (a retried upload)."""
        async with document_lock(self.runs, run["_id"]):
            await self.runs.update_one({"_id": run["_id"]}, {"$setOnInsert": run}, upsert=True)

    async def insert_artifacts(self, artifacts: list[Document]) -> None:
        """Insert a stage's artifacts in one round trip; those already there (a redelivery) stay as they are."""
        if not artifacts:
            return
        try:
            await self.artifacts.insert_many(artifacts, ordered=False)
        except BulkWriteError as exc:
            if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
                raise

    # -- reads, always scoped by tenant --------------------------------------------------------------
    # FerretDB's SQLite backend answers a filter on `_id` alone from its index and scans the whole
    # collection for anything else, so single reads go by `_id` (the tenant is checked on the result)
    # and a case lists its own documents and runs.

    async def owner(self, collection: AsyncCollection[Document], doc_id: str) -> str | None:
        """The tenant a case or run belongs to (None when it does not exist yet)."""
        found = await collection.find_one({"_id": doc_id}, {"tenant_id": 1})
        return None if found is None else found.get("tenant_id")

    async def run_state(self, run_id: str) -> Document | None:
        """A run's owner, status and stages, without its outbox (None when it does not exist yet)."""
        return await self.runs.find_one(
            {"_id": run_id},
            {
                "tenant_id": 1,
                "case_id": 1,
                "status": 1,
                "cancelled_at": 1,
                "stages": 1,
                "projection": 1,
                "created_at": 1,
            },
        )

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
        return await self._owned(self.runs, tenant_id, run_id, {"outbox": 0})

    async def case_runs(self, tenant_id: str, case_id: str) -> list[Document]:
        case = await self._owned(self.cases, tenant_id, case_id, {"run_ids": 1, "tenant_id": 1})
        found = [await self.get_run(tenant_id, run_id) for run_id in (case or {}).get("run_ids", [])]
        return sorted((r for r in found if r is not None), key=lambda r: r["created_at"], reverse=True)

    async def list_runs(self, tenant_id: str, limit: int, skip: int) -> list[Document]:
        cursor = self.runs.find({"tenant_id": tenant_id}, {"outbox": 0}).sort("created_at", DESCENDING)
        return await cursor.skip(skip).limit(limit).to_list()

    async def run_artifacts(self, tenant_id: str, run_id: str, *, with_content: bool) -> list[Document]:
        run = await self.get_run(tenant_id, run_id)
        names = sorted({name for stage in (run or {}).get("stages", {}).values() for name in stage["artifacts"]})
        projection: Document | None = None if with_content else {"content": 0}
        found = [await self._owned(self.artifacts, tenant_id, f"{run_id}:{name}", projection) for name in names]
        return [a for a in found if a is not None]

    async def get_artifact(self, tenant_id: str, run_id: str, name: str) -> Document | None:
        return await self._owned(self.artifacts, tenant_id, f"{run_id}:{name}")

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
