"""The outbox on the real database and broker: nothing lost between the write and the publish."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from denialops_shared.contracts.cloudevents import EncodedEvent, encode
from denialops_shared.contracts.events import CaseCreated
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import create_broker
from denialops_shared.metrics import OUTBOX_PUBLISH_FAILURES
from denialops_shared.mongo import Document, document_lock, set_flavour
from denialops_shared.outbox import MAX_BULK, Outbox, update_with_events, with_events
from denialops_shared.settings import ServiceSettings
from tests.kafka_helpers import collect, headers_of

pytestmark = pytest.mark.integration


def events(unique: str, count: int) -> list[EncodedEvent]:
    return [
        encode(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=f"case-{unique}-{i}"), source="/it")
        for i in range(count)
    ]


async def published(settings: ServiceSettings, sent: list[EncodedEvent]) -> set[str]:
    ids = {e.event_id for e in sent}
    records = await collect(
        settings.kafka_bootstrap_servers, Topic.CASE_CREATED.value, lambda r: headers_of(r)["ce_id"] in ids, len(ids)
    )
    return {headers_of(r)["ce_id"] for r in records}


async def test_flush_publishes_then_clears(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    sent = events(unique, 2)
    await db.things.insert_one(with_events({"_id": "a"}, sent))
    await Outbox(db.things, broker, 1.0).flush("a")
    assert await published(settings, sent) == {e.event_id for e in sent}
    doc = await db.things.find_one({"_id": "a"})
    assert doc is not None
    assert doc["outbox"] == []


async def test_events_left_by_a_crash_are_sent_by_the_relay(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    sent = events(unique, 3)
    # The process "died" right after its write: nobody called flush.
    await db.things.insert_one(with_events({"_id": "b"}, sent))
    outbox = Outbox(db.things, broker, sweep_seconds=0.1)
    await asyncio.sleep(0.2)
    assert await outbox.sweep_once() == 1
    assert await published(settings, sent) == {e.event_id for e in sent}
    assert await outbox.sweep_once() == 0


async def test_a_quick_restart_still_sends_what_the_crash_left(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    sent = events(unique, 2)
    # Written a moment before the crash, and the next process starts at once (well within one interval).
    await db.things.insert_one(with_events({"_id": f"quick-{unique}"}, sent))
    relay = asyncio.create_task(Outbox(db.things, broker, sweep_seconds=60.0).run_relay())
    try:
        assert await published(settings, sent) == {e.event_id for e in sent}
    finally:
        relay.cancel()
    doc = await db.things.find_one({"_id": f"quick-{unique}"})
    assert doc is not None
    assert doc["outbox"] == []


async def test_a_failed_publish_keeps_the_events(
    db: AsyncDatabase[Document], settings: ServiceSettings, unique: str
) -> None:
    sent = events(unique, 1)
    await db.things.insert_one(with_events({"_id": "c"}, sent))
    unstarted = create_broker(settings)  # never connected: every publish fails
    before = OUTBOX_PUBLISH_FAILURES._value.get()
    await Outbox(db.things, unstarted, 1.0).flush("c")
    doc = await db.things.find_one({"_id": "c"})
    assert doc is not None
    assert len(doc["outbox"]) == 1
    assert OUTBOX_PUBLISH_FAILURES._value.get() == before + 1
    assert await db.outbox_retries.count_documents({}) == 1


async def test_the_relay_retries_a_failed_publish_once_kafka_answers(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    sent = events(unique, 2)
    await db.things.insert_one(with_events({"_id": "f"}, sent))
    await Outbox(db.things, create_broker(settings), 1.0).flush("f")  # the broker is "down"
    relay = Outbox(db.things, broker, 1.0)
    assert await relay.backlog() == 1
    assert await relay.retry_once() == 1
    assert await published(settings, sent) == {e.event_id for e in sent}
    assert await relay.backlog() == 0


async def test_events_added_during_a_flush_are_not_cleared(
    db: AsyncDatabase[Document], broker: KafkaBroker, unique: str
) -> None:
    first, second = events(unique, 2)
    await db.things.insert_one(with_events({"_id": "d"}, [first]))
    await db.things.update_one({"_id": "d"}, update_with_events({"state": "changed"}, [second]))
    # The writer of `first` publishes what it wrote, without reading the document back.
    await Outbox(db.things, broker, 1.0).flush_written("d", [first])
    doc = await db.things.find_one({"_id": "d"})
    assert doc is not None
    # Only the published event leaves the outbox; the new one stays, visible to the relay's sweep.
    assert [item["headers"]["ce_id"] for item in doc["outbox"]] == [second.event_id]
    assert doc["outbox_at"] is not None
    assert doc["state"] == "changed"


async def test_flush_soon_publishes_without_the_caller_waiting(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    sent = events(unique, 2)
    await db.things.insert_one(with_events({"_id": "e"}, sent))
    Outbox(db.things, broker, 1.0).flush_soon("e", sent)
    assert await published(settings, sent) == {e.event_id for e in sent}
    for _ in range(50):
        doc = await db.things.find_one({"_id": "e"})
        if doc is not None and doc["outbox"] == []:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the outbox was not cleared after publishing")


class UpdateCommands(monitoring.CommandListener):
    """The `update` commands a client sends to one collection: statements each, and how many at once."""

    def __init__(self, collection: str) -> None:
        self.collection = collection
        self.statements: list[int] = []
        self.filters: list[Document] = []
        self.in_flight: set[int] = set()
        self.most_in_flight = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "update" and event.command["update"] == self.collection:
            self.statements.append(len(event.command["updates"]))
            self.filters.extend(u["q"] for u in event.command["updates"])
            self.in_flight.add(event.request_id)
            self.most_in_flight = max(self.most_in_flight, len(self.in_flight))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.in_flight.discard(event.request_id)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.in_flight.discard(event.request_id)


@pytest.fixture
async def watched(settings: ServiceSettings) -> AsyncIterator[tuple[AsyncMongoClient[Document], UpdateCommands]]:
    """A client of the test's database whose update commands of `things` are recorded."""
    listener = UpdateCommands("things")
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongodb_uri.get_secret_value(), tz_aware=True, event_listeners=[listener]
    )
    yield client, listener
    await client.close()


async def test_a_burst_is_cleared_in_small_bulk_writes_one_at_a_time(
    db: AsyncDatabase[Document],
    broker: KafkaBroker,
    settings: ServiceSettings,
    unique: str,
    watched: tuple[AsyncMongoClient[Document], UpdateCommands],
) -> None:
    client, updates = watched
    things = client[settings.mongodb_database].things
    sent = events(unique, 500)
    await db.things.insert_many([with_events({"_id": f"burst-{i}"}, [e]) for i, e in enumerate(sent)])
    outbox = Outbox(things, broker, 1.0)
    # The first document's lock is held until all 500 are published, so their clears queue up.
    async with document_lock(things, "burst-0"):
        for i, event in enumerate(sent):
            outbox.flush_soon(f"burst-{i}", [event])
        assert await published(settings, sent) == {e.event_id for e in sent}
    for _ in range(100):
        if await db.things.count_documents({"outbox.0": {"$exists": True}}) == 0:
            break
        await asyncio.sleep(0.1)
    assert await db.things.count_documents({"outbox.0": {"$exists": True}}) == 0, "every event was cleared"
    assert max(updates.statements) <= MAX_BULK
    assert updates.most_in_flight == 1
    assert sum(updates.statements) == 500, "one statement per document"
    # One bulk waited for the lock while the rest queued: 500 clears in about 500 / 40 commands.
    assert len(updates.statements) <= 25
    # Filtered on `_id` alone: the only filter FerretDB answers from an index.
    assert all(set(f) == {"_id"} for f in updates.filters)
    assert (await client.admin.command("ping"))["ok"] == 1


async def test_on_mongodb_a_clear_also_resets_the_sweep_marker(
    db: AsyncDatabase[Document],
    broker: KafkaBroker,
    settings: ServiceSettings,
    unique: str,
    watched: tuple[AsyncMongoClient[Document], UpdateCommands],
) -> None:
    client, updates = watched
    set_flavour(client, "mongodb")
    things = client[settings.mongodb_database].things
    first, second, third = events(unique, 3)
    await db.things.insert_many([with_events({"_id": "m1"}, [first]), with_events({"_id": "m2"}, [second])])
    await db.things.update_one({"_id": "m2"}, update_with_events({}, [third]))
    outbox = Outbox(things, broker, 1.0)
    await asyncio.gather(outbox.flush_written("m1", [first]), outbox.flush_written("m2", [second]))
    emptied, still_pending = await db.things.find_one({"_id": "m1"}), await db.things.find_one({"_id": "m2"})
    assert emptied is not None
    assert still_pending is not None
    assert emptied["outbox"] == []
    assert emptied["outbox_at"] is None
    assert [i["headers"]["ce_id"] for i in still_pending["outbox"]] == [third.event_id]
    assert still_pending["outbox_at"] is not None, "the sweep still finds what is pending"
    # Each document: the `$pullAll`, then the reset filtered on the emptied outbox (the two documents'
    # clears may come in either order: their publishes finish when they finish).
    for doc_id in ("m1", "m2"):
        mine = [f for f in updates.filters if f["_id"] == doc_id]
        assert mine == [{"_id": doc_id}, {"_id": doc_id, "outbox": {"$size": 0}}]


async def test_on_ferretdb_the_sweep_skips_what_was_cleared(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    sent = events(unique, 2)
    await db.things.insert_many([with_events({"_id": f"s{i}"}, [e]) for i, e in enumerate(sent)])
    outbox = Outbox(db.things, broker, sweep_seconds=60.0)
    await outbox.flush_written("s0", [sent[0]])
    cleared = await db.things.find_one({"_id": "s0"})
    assert cleared is not None
    assert cleared["outbox"] == []
    assert cleared["outbox_at"] is not None
    # Only the document with an event left is swept, however old the other's marker.
    assert await outbox.sweep_once(written_before=dt.datetime.now(dt.UTC)) == 1
    assert await published(settings, sent) == {e.event_id for e in sent}
    assert await outbox.sweep_once(written_before=dt.datetime.now(dt.UTC)) == 0
