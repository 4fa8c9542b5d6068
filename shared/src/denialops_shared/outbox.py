"""The transactional outbox, kept inside the state document.

The test database has no multi-document transactions, so a state change and the events it
produces are written in one single-document update: the events go into the document's `outbox`
array and `outbox_at` is set. `Outbox.flush` publishes them (the events of a document together,
waiting for Kafka's acknowledgements) and then removes exactly those events from the array, so
events added meanwhile stay. Delivery is at least once: consumers are idempotent.

What clearing costs: the clears of all documents an outbox has published are collected and written
as one `bulk_write` of `$pullAll` updates filtered on `_id` alone (idempotent; FerretDB answers no
other filter from an index), at most MAX_BULK statements each (a bulk of 100 updates hangs FerretDB
1.24.2 for good: each statement holds one of its pool's connections until the command ends), one bulk
in flight per outbox, under the documents' locks. So a state change costs at most one statement of
one extra command, and under load one command clears many documents. On FerretDB a clear leaves
`outbox_at` as it was (setting it only when the outbox became empty would need a read); the sweep
therefore looks for documents whose outbox is not empty. On MongoDB a second statement, filtered on
the emptied outbox, resets `outbox_at`, so its index keeps to the documents with pending events.

What the relay looks at, and why: FerretDB's SQLite backend scans a whole collection for any filter
but `_id`, so scanning the state collections every few seconds would cost more as data grows. A
failed publish (broker down) therefore records the document in the small `outbox_retries`
collection, which the relay reads every interval; events a crash left between the write and the
publish are found by one full sweep when the next process starts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from denialops_shared.contracts.cloudevents import EncodedEvent
from denialops_shared.kafka import publish_all
from denialops_shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISH_FAILURES
from denialops_shared.mongo import Document, document_locks, flavour

log = logging.getLogger(__name__)

FIELD = "outbox"
SWEEP_BATCH = 100
RETRIES = "outbox_retries"
MAX_BACKGROUND_FLUSHES = 1000
# Statements in one bulk write of clears (see the module docstring).
MAX_BULK = 40


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


@dataclass
class _Clear:
    """The published events to remove from one document, and who waits for that."""

    events: list[Document] = field(default_factory=list)
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


class _Clears:
    """Removes published events from their documents: queued clears go out as small bulk writes, one at a time."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection
        # By document, in the order they came; a document queued again while its bulk is in flight
        # goes in the next bulk.
        self._queued: dict[Any, _Clear] = {}
        self._writer: asyncio.Task[None] | None = None

    async def clear(self, doc_id: Any, events: list[Document]) -> None:
        """Remove `events` from the document's outbox; returns once that is written."""
        queued = self._queued.setdefault(doc_id, _Clear())
        queued.events.extend(e for e in events if e not in queued.events)
        written = asyncio.get_running_loop().create_future()
        queued.waiters.append(written)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        await written

    async def _write_queued(self) -> None:
        mongodb = flavour(self._collection) == "mongodb"
        per_bulk = MAX_BULK // 2 if mongodb else MAX_BULK
        while self._queued:
            batch = {doc_id: self._queued.pop(doc_id) for doc_id in list(itertools.islice(self._queued, per_bulk))}
            try:
                async with document_locks(self._collection, batch):
                    await self._collection.bulk_write(_statements(batch, mongodb))
            except Exception as exc:
                # The events stay in the outbox: published again by a later flush or sweep (at least once).
                for queued in batch.values():
                    for waiter in queued.waiters:
                        if not waiter.done():
                            waiter.set_exception(exc)
                continue
            for queued in batch.values():
                for waiter in queued.waiters:
                    if not waiter.done():
                        waiter.set_result(None)


def _statements(batch: dict[Any, _Clear], mongodb: bool) -> list[UpdateOne]:
    statements = []
    for doc_id, queued in batch.items():
        statements.append(UpdateOne({"_id": doc_id}, {"$pullAll": {FIELD: queued.events}}))
        if mongodb:
            statements.append(UpdateOne({"_id": doc_id, FIELD: {"$size": 0}}, {"$set": {"outbox_at": None}}))
    return statements


class Outbox:
    def __init__(self, collection: AsyncCollection[Document], broker: KafkaBroker, sweep_seconds: float) -> None:
        self._collection = collection
        self._broker = broker
        self._sweep_seconds = sweep_seconds
        self._background: set[asyncio.Task[None]] = set()
        self._clears = _Clears(collection)
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
        task.add_done_callback(self._flushed)

    def _flushed(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            # Published but not cleared (the database failed): the events go again with a later sweep.
            log.warning(
                "outbox.flush.failed", extra={"collection": self._collection.name, "error_class": type(exc).__name__}
            )

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
            await publish_all(self._broker, [EncodedEvent.from_document(item) for item in pending])
        except Exception:
            OUTBOX_PUBLISH_FAILURES.inc()
            log.warning("outbox.flush.failed", extra={"collection": self._collection.name})
            await self._retries.update_one(
                {"_id": self._retry_id(doc_id)},
                {"$set": {"collection": self._collection.name, "doc_id": doc_id}},
                upsert=True,
            )
            return
        # Exactly the published events leave: any pushed meanwhile stay for their own flush.
        await self._clears.clear(doc_id, pending)

    def _retry_id(self, doc_id: Any) -> str:
        return f"{self._collection.name}:{doc_id}"

    async def sweep_once(self, written_before: dt.datetime | None = None) -> int:
        """Flush documents whose events were written before `written_before` (default: one sweep interval
        ago), a full scan."""
        cutoff = written_before or dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self._sweep_seconds)
        cursor = self._collection.find(
            {"outbox_at": {"$lt": cutoff}, f"{FIELD}.0": {"$exists": True}}, {FIELD: 1}, limit=SWEEP_BATCH
        )
        docs = await cursor.to_list()
        # Together, so their events share produce requests and their clears share bulk writes.
        await asyncio.gather(*(self._publish_and_clear(doc["_id"], doc[FIELD]) for doc in docs))
        return len(docs)

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
