"""`MONGODB_FLAVOUR`: per-document locks on FerretDB, none on MongoDB (which applies updates atomically)."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from denialops_shared.mongo import Document, create_client, document_lock, document_locks, flavour, set_flavour
from denialops_shared.settings import ServiceSettings


def collection() -> AsyncCollection[Document]:
    # Never connects: the locks only read the collection's names and its client's flavour.
    client: AsyncMongoClient[Document] = AsyncMongoClient("mongodb://127.0.0.1:1", connect=False)
    return client["db"]["things"]


async def overlap(things: AsyncCollection[Document]) -> int:
    """How many of three updates of one document held the lock at the same time, at most."""
    inside = most = 0

    async def update() -> None:
        nonlocal inside, most
        async with document_lock(things, "a"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(update(), update(), update())
    return most


def test_the_setting_defaults_to_ferretdb_and_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServiceSettings().mongodb_flavour == "ferretdb"
    monkeypatch.setenv("MONGODB_FLAVOUR", "mongodb")
    assert ServiceSettings().mongodb_flavour == "mongodb"
    monkeypatch.setenv("MONGODB_FLAVOUR", "cosmos")
    with pytest.raises(ValueError, match="mongodb_flavour"):
        ServiceSettings()


@pytest.mark.parametrize("value", ["ferretdb", "mongodb"])
def test_create_client_records_the_flavour(value: str) -> None:
    client = create_client(ServiceSettings(mongodb_uri="mongodb://127.0.0.1:1", mongodb_flavour=value))
    assert flavour(client["db"]["things"]) == value


async def test_on_ferretdb_updates_of_one_document_take_turns() -> None:
    assert await overlap(collection()) == 1


async def test_on_mongodb_no_lock_is_taken() -> None:
    things = collection()
    set_flavour(things.database.client, "mongodb")
    assert await overlap(things) == 3


async def test_a_client_made_elsewhere_counts_as_ferretdb() -> None:
    # Clients of one server compare equal: the flavour of one must not leak to another.
    mongodb = collection()
    set_flavour(mongodb.database.client, "mongodb")
    assert flavour(collection()) == "ferretdb"
    assert flavour(mongodb) == "mongodb"


async def test_several_locks_are_taken_in_one_order() -> None:
    things = collection()

    async def both(ids: list[str]) -> None:
        async with document_locks(things, ids):
            await asyncio.sleep(0.01)

    # In opposite orders at once: a deadlock would run into the time-out.
    async with asyncio.timeout(5):
        await asyncio.gather(*(both(["a", "b"] if i % 2 else ["b", "a"]) for i in range(10)))
