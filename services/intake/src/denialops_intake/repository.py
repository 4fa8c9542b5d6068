"""Intake's MongoDB adapter: cases, documents, runs (tasks) and artifacts, all scoped by tenant.

Every write is idempotent (ids chosen by the caller, upserts, `$setOnInsert`), so a redelivered
event or a retried request converges to the same state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from denialops_shared.contracts.cloudevents import EncodedEvent
from denialops_shared.mongo import Document
from denialops_shared.outbox import update_with_events, with_events


class IntakeRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.cases: AsyncCollection[Document] = db["cases"]
        self.documents: AsyncCollection[Document] = db["documents"]
        self.runs: AsyncCollection[Document] = db["runs"]
        self.artifacts: AsyncCollection[Document] = db["artifacts"]

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
        self, tenant_id: str, run_id: str, set_fields: Document, events: list[EncodedEvent]
    ) -> Document | None:
        return await self.runs.find_one_and_update(
            {"_id": run_id, "tenant_id": tenant_id},
            update_with_events(set_fields, events),
            return_document=ReturnDocument.AFTER,
        )

    # -- projections of consumed events ------------------------------------------------------------

    async def upsert_case(self, case: Document) -> None:
        await self.cases.update_one({"_id": case["_id"]}, {"$setOnInsert": case}, upsert=True)

    async def upsert_document(self, document: Document) -> None:
        await self.documents.update_one({"_id": document["_id"]}, {"$setOnInsert": document}, upsert=True)

    async def record_stage(
        self, tenant_id: str, case_id: str, run_id: str, stage: str, stage_doc: Document, now: dt.datetime
    ) -> Document:
        run = await self.runs.find_one_and_update(
            {"_id": run_id},
            {
                "$set": {f"stages.{stage}": stage_doc, "updated_at": now},
                "$setOnInsert": {
                    "tenant_id": tenant_id,
                    "case_id": case_id,
                    "status": "queued",
                    "requested_by": "auto",
                    "created_at": now,
                },
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert run is not None  # upsert always returns a document
        return run

    async def set_run_status(self, run_id: str, status: str, fields: Document) -> None:
        await self.runs.update_one({"_id": run_id}, {"$set": {"status": status, **fields}})

    async def upsert_artifact(self, artifact: Document) -> None:
        await self.artifacts.update_one({"_id": artifact["_id"]}, {"$setOnInsert": artifact}, upsert=True)

    # -- reads, always scoped by tenant ---------------------------------------------------------

    async def owner(self, collection: AsyncCollection[Document], doc_id: str) -> str | None:
        """The tenant a case or run belongs to (None when it does not exist yet)."""
        found = await collection.find_one({"_id": doc_id}, {"tenant_id": 1})
        return None if found is None else found.get("tenant_id")

    async def get_case(self, tenant_id: str, case_id: str) -> Document | None:
        return await self.cases.find_one({"_id": case_id, "tenant_id": tenant_id}, {"outbox": 0})

    async def list_cases(self, tenant_id: str, limit: int, skip: int) -> list[Document]:
        cursor = self.cases.find({"tenant_id": tenant_id}, {"outbox": 0}).sort("created_at", DESCENDING)
        return await cursor.skip(skip).limit(limit).to_list()

    async def case_documents(self, tenant_id: str, case_id: str) -> list[Document]:
        cursor = self.documents.find({"case_id": case_id, "tenant_id": tenant_id}, {"outbox": 0, "pages": 0})
        return await cursor.sort("created_at", ASCENDING).to_list()

    async def has_denial_letter(self, tenant_id: str, case_id: str) -> bool:
        found = await self.documents.find_one(
            {"case_id": case_id, "tenant_id": tenant_id, "doc_type": "denial_letter"}, {"_id": 1}
        )
        return found is not None

    async def get_run(self, tenant_id: str, run_id: str) -> Document | None:
        return await self.runs.find_one({"_id": run_id, "tenant_id": tenant_id}, {"outbox": 0})

    async def case_runs(self, tenant_id: str, case_id: str) -> list[Document]:
        cursor = self.runs.find({"case_id": case_id, "tenant_id": tenant_id}, {"outbox": 0})
        return await cursor.sort("created_at", DESCENDING).to_list()

    async def list_runs(self, tenant_id: str, limit: int, skip: int) -> list[Document]:
        cursor = self.runs.find({"tenant_id": tenant_id}, {"outbox": 0}).sort("created_at", DESCENDING)
        return await cursor.skip(skip).limit(limit).to_list()

    async def run_artifacts(self, tenant_id: str, run_id: str, *, with_content: bool) -> list[Document]:
        projection: dict[str, Any] = {} if with_content else {"content": 0}
        cursor = self.artifacts.find({"run_id": run_id, "tenant_id": tenant_id}, projection or None)
        return await cursor.sort("name", ASCENDING).to_list()

    async def get_artifact(self, tenant_id: str, run_id: str, name: str) -> Document | None:
        return await self.artifacts.find_one({"_id": f"{run_id}:{name}", "tenant_id": tenant_id})
