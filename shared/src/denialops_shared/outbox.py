"""The transactional outbox, kept inside the state document.

The test database has no multi-document transactions, so a state change and the events it
produces are written in one single-document update: the events go into the document's `outbox`
array. `Outbox.flush` publishes them (waiting for Kafka's acknowledgement) and then clears the
array, unless more events were added meanwhile (`outbox_version` guard). A relay sweeps for
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
from pymongo.asynchronous.collection import AsyncCollection

from denialops_shared.contracts.cloudevents import EncodedEvent
from denialops_shared.kafka import publish
from denialops_shared.metrics import OUTBOX_PUBLISH_FAILURES
from denialops_shared.mongo import Document

log = logging.getLogger(__name__)

FIELD = "outbox"
SWEEP_BATCH = 100


def with_events(document: Document, events: Sequence[EncodedEvent]) -> Document:
    """A new document carrying `events` in its outbox (for an insert)."""
    return {
        **document,
        FIELD: [e.to_document() for e in events],
        "outbox_version": 1,
        "outbox_at": dt.datetime.now(dt.UTC),
    }


def update_with_events(set_fields: Document, events: Sequence[EncodedEvent]) -> dict[str, Any]:
    """One update that applies `set_fields` and appends `events` to the document's outbox."""
    return {
        "$set": {**set_fields, "outbox_at": dt.datetime.now(dt.UTC)},
        "$push": {FIELD: {"$each": [e.to_document() for e in events]}},
        "$inc": {"outbox_version": 1},
    }


class Outbox:
    def __init__(self, collection: AsyncCollection[Document], broker: KafkaBroker, sweep_seconds: float) -> None:
        self._collection = collection
        self._broker = broker
        self._sweep_seconds = sweep_seconds

    async def flush(self, doc_id: Any) -> None:
        """Publish the document's pending events; on failure leave them for the relay."""
        doc = await self._collection.find_one({"_id": doc_id}, {FIELD: 1, "outbox_version": 1})
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
        await self._collection.update_one(
            {"_id": doc["_id"], "outbox_version": doc.get("outbox_version")},
            {"$set": {FIELD: [], "outbox_at": None}},
        )

    async def sweep_once(self) -> int:
        """Flush documents whose events have waited longer than one sweep interval."""
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self._sweep_seconds)
        cursor = self._collection.find(
            {"outbox_at": {"$lt": cutoff}}, {FIELD: 1, "outbox_version": 1}, limit=SWEEP_BATCH
        )
        flushed = 0
        async for doc in cursor:
            await self._flush_document(doc)
            flushed += 1
        return flushed

    async def run_relay(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                log.warning("outbox.sweep.failed", extra={"collection": self._collection.name})
            await asyncio.sleep(self._sweep_seconds)
