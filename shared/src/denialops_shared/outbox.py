"""The transactional outbox, kept inside the state document.

The test database has no multi-document transactions, so a state change and the events it
produces are written in one single-document update: the events go into the document's `outbox`
array. `Outbox.flush` publishes them (waiting for Kafka's acknowledgement) and then removes exactly
those events from the array, so events added meanwhile stay. Delivery is at least once: consumers
are idempotent.

What the relay looks at, and why: FerretDB's SQLite backend scans a whole collection for any filter
but `_id`, so scanning the state collections every few seconds would cost more as data grows. A
failed publish (broker down) therefore records the document in the small `outbox_retries`
collection, which the relay reads every interval; events a crash left between the write and the
publish are found by one full sweep when the next process starts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from denialops_shared.contracts.cloudevents import EncodedEvent
from denialops_shared.kafka import publish
from denialops_shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISH_FAILURES
from denialops_shared.mongo import Document, document_lock

log = logging.getLogger(__name__)

FIELD = "outbox"
SWEEP_BATCH = 100
RETRIES = "outbox_retries"
MAX_BACKGROUND_FLUSHES = 1000


def with_events(document: Document, events: Sequence[EncodedEvent]) -> Document:
    """A new document carrying `events` in its outbox (for an insert)."""
    return {
        **document,
        FIELD: [e.to_document() for e in events],
        "outbox_at": dt.datetime.now(dt.UTC),
    }


def update_with_events(set_fields: Document, events: Sequence[EncodedEvent]) -> dict[str, Any]:
    """One update that applies `set_fields` and appends `events` to the document's outbox."""
    return {
        "$set": {**set_fields, "outbox_at": dt.datetime.now(dt.UTC)},
        "$push": {FIELD: {"$each": [e.to_document() for e in events]}},
    }


class Outbox:
    def __init__(self, collection: AsyncCollection[Document], broker: KafkaBroker, sweep_seconds: float) -> None:
        self._collection = collection
        self._broker = broker
        self._sweep_seconds = sweep_seconds
        self._background: set[asyncio.Task[None]] = set()
        # Documents whose publish failed; small, so the relay can read it often (see the module docstring).
        self._retries = collection.database[RETRIES]

    def flush_soon(self, doc_id: Any, events: Sequence[EncodedEvent]) -> None:
        """Publish `events`, just written into the document's outbox, in the background.

        The caller's write is durable, so it need not wait for Kafka; and it passes the events it wrote,
        which saves reading the document back. While Kafka is unreachable at most
        MAX_BACKGROUND_FLUSHES wait; beyond that the relay publishes the rest once the broker is back.
        """
        if len(self._background) >= MAX_BACKGROUND_FLUSHES:
            return
        task = asyncio.create_task(self.flush_written(doc_id, events))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def flush_written(self, doc_id: Any, events: Sequence[EncodedEvent]) -> None:
        """Publish `events` the caller wrote into the document's outbox, then remove them from it."""
        await self._publish_and_clear(doc_id, [e.to_document() for e in events])

    async def flush(self, doc_id: Any) -> None:
        """Publish the document's pending events; on failure leave them for the relay."""
        doc = await self._collection.find_one({"_id": doc_id}, {FIELD: 1})
        if doc is not None:
            await self._publish_and_clear(doc["_id"], doc.get(FIELD) or [])

    async def _publish_and_clear(self, doc_id: Any, pending: list[Document]) -> None:
        if not pending:
            return
        try:
            for item in pending:
                await publish(self._broker, EncodedEvent.from_document(item))
        except Exception:
            OUTBOX_PUBLISH_FAILURES.inc()
            log.warning("outbox.flush.failed", extra={"collection": self._collection.name})
            await self._retries.update_one(
                {"_id": self._retry_id(doc_id)},
                {"$set": {"collection": self._collection.name, "doc_id": doc_id}},
                upsert=True,
            )
            return
        # Filter on `_id` alone (FerretDB answers only that from an index) and remove exactly the
        # published events: any pushed meanwhile stay, and the sweep is told about them again.
        async with document_lock(self._collection, doc_id):
            after = await self._collection.find_one_and_update(
                {"_id": doc_id},
                {"$pullAll": {FIELD: pending}, "$set": {"outbox_at": None}},
                return_document=ReturnDocument.AFTER,
            )
            if after is not None and after.get(FIELD):
                await self._collection.update_one({"_id": doc_id}, {"$set": {"outbox_at": dt.datetime.now(dt.UTC)}})

    def _retry_id(self, doc_id: Any) -> str:
        return f"{self._collection.name}:{doc_id}"

    async def sweep_once(self, written_before: dt.datetime | None = None) -> int:
        """Flush documents whose events were written before `written_before` (default: one sweep interval
        ago), a full scan."""
        cutoff = written_before or dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self._sweep_seconds)
        cursor = self._collection.find({"outbox_at": {"$lt": cutoff}}, {FIELD: 1}, limit=SWEEP_BATCH)
        flushed = 0
        async for doc in cursor:
            await self._publish_and_clear(doc["_id"], doc.get(FIELD) or [])
            flushed += 1
        return flushed

    async def retry_once(self) -> int:
        """Flush the documents whose publish failed; forget those that have nothing left to send."""
        retried = 0
        async for marker in self._retries.find({"collection": self._collection.name}, limit=SWEEP_BATCH):
            await self.flush(marker["doc_id"])
            doc = await self._collection.find_one({"_id": marker["doc_id"]}, {FIELD: 1})
            if doc is None or not doc.get(FIELD):
                await self._retries.delete_one({"_id": marker["_id"]})
            retried += 1
        return retried

    async def backlog(self) -> int:
        """Documents waiting for a retry (a growing number means Kafka is not taking them)."""
        return await self._retries.count_documents({"collection": self._collection.name})

    async def run_relay(self) -> None:
        # Once at start: whatever a crash of the previous process left between write and publish, however
        # shortly before this start it was written (a quick restart must not skip the newest events).
        started = dt.datetime.now(dt.UTC)
        while True:
            try:
                if await self.sweep_once(written_before=started) < SWEEP_BATCH:
                    break
            except Exception:
                log.warning("outbox.recovery.failed", extra={"collection": self._collection.name})
                await asyncio.sleep(self._sweep_seconds)
        while True:
            try:
                await self.retry_once()
                OUTBOX_BACKLOG.labels(collection=self._collection.name).set(await self.backlog())
            except Exception:
                log.warning("outbox.retry.failed", extra={"collection": self._collection.name})
            await asyncio.sleep(self._sweep_seconds)
