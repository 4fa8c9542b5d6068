"""The transactional outbox, kept inside the state document.

The test database has no multi-document transactions, so a state change and the events it
produces are written in one single-document update: the events go into the document's `outbox`
array. `Outbox.flush` publishes them (waiting for Kafka's acknowledgement) and then removes exactly
those events from the array, so events added meanwhile stay. A relay sweeps for
documents whose outbox was left behind by a crash or a broker outage. Delivery is at least once:
consumers are idempotent.
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
from denialops_shared.mongo import Document

log = logging.getLogger(__name__)

FIELD = "outbox"
SWEEP_BATCH = 100
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

    def flush_soon(self, doc_id: Any) -> None:
        """Publish in the background: the caller's write is durable, so it need not wait for Kafka.

        While Kafka is unreachable at most MAX_BACKGROUND_FLUSHES wait; beyond that the relay's sweep
        publishes the rest once the broker is back.
        """
        if len(self._background) >= MAX_BACKGROUND_FLUSHES:
            return
        task = asyncio.create_task(self.flush(doc_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def flush(self, doc_id: Any) -> None:
        """Publish the document's pending events; on failure leave them for the relay."""
        doc = await self._collection.find_one({"_id": doc_id}, {FIELD: 1})
        if doc is not None:
            await self._flush_document(doc)

    async def _flush_document(self, doc: Document) -> None:
        pending = doc.get(FIELD) or []
        if not pending:
            return
        try:
            for item in pending:
                await publish(self._broker, EncodedEvent.from_document(item))
        except Exception:
            OUTBOX_PUBLISH_FAILURES.inc()
            log.warning("outbox.flush.failed", extra={"collection": self._collection.name})
            return
        # Filter on `_id` alone (FerretDB answers only that from an index) and remove exactly the
        # published events: any pushed meanwhile stay, and the sweep is told about them again.
        after = await self._collection.find_one_and_update(
            {"_id": doc["_id"]},
            {"$pullAll": {FIELD: pending}, "$set": {"outbox_at": None}},
            return_document=ReturnDocument.AFTER,
        )
        if after is not None and after.get(FIELD):
            await self._collection.update_one({"_id": doc["_id"]}, {"$set": {"outbox_at": dt.datetime.now(dt.UTC)}})

    async def sweep_once(self) -> int:
        """Flush documents whose events have waited longer than one sweep interval."""
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self._sweep_seconds)
        cursor = self._collection.find({"outbox_at": {"$lt": cutoff}}, {FIELD: 1}, limit=SWEEP_BATCH)
        flushed = 0
        async for doc in cursor:
            await self._flush_document(doc)
            flushed += 1
        return flushed

    async def backlog(self) -> int:
        """Documents whose events are not published yet (a growing number means Kafka is not taking them)."""
        return await self._collection.count_documents({"outbox_at": {"$ne": None}})

    async def run_relay(self) -> None:
        while True:
            try:
                await self.sweep_once()
                OUTBOX_BACKLOG.labels(collection=self._collection.name).set(await self.backlog())
            except Exception:
                log.warning("outbox.sweep.failed", extra={"collection": self._collection.name})
            await asyncio.sleep(self._sweep_seconds)
