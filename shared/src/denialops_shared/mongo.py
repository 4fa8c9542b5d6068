"""MongoDB access with PyMongo's async API. Each service owns one database and never reads another's."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Iterable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from denialops_shared.mongo_metrics import CommandMetrics
from denialops_shared.settings import MongoFlavour, ServiceSettings

Document = dict[str, Any]

_document_locks: weakref.WeakValueDictionary[tuple[str, str, Any], asyncio.Lock] = weakref.WeakValueDictionary()
# The flavour of each client `create_client` made, by identity (clients of one server compare equal);
# a client made elsewhere (tests) counts as FerretDB, the cautious choice.
_flavours: dict[int, MongoFlavour] = {}


def set_flavour(client: AsyncMongoClient[Document], flavour: MongoFlavour) -> None:
    key = id(client)
    if key not in _flavours:
        weakref.finalize(client, _flavours.pop, key, None)
    _flavours[key] = flavour


def flavour(collection: AsyncCollection[Document]) -> MongoFlavour:
    return _flavours.get(id(collection.database.client), "ferretdb")


@contextlib.asynccontextmanager
async def document_lock(collection: AsyncCollection[Document], doc_id: Any) -> AsyncIterator[None]:
    """Serialise this process's updates of one document on FerretDB; nothing on MongoDB.

    FerretDB 1.x (the local and test database) applies an update by reading the document and then
    writing it back whole, not atomically, so two concurrent updates of one document can lose one of
    them (e.g. the outbox relay clearing a case's events while an upload links a document to it).
    MongoDB applies each update atomically, so there no lock is taken. On FerretDB, replicas of a
    service still race with each other: run one replica of intake there.
    """
    async with document_locks(collection, [doc_id]):
        yield


@contextlib.asynccontextmanager
async def document_locks(collection: AsyncCollection[Document], doc_ids: Iterable[Any]) -> AsyncIterator[None]:
    """`document_lock` of several documents, taken in one fixed order (so two holders cannot deadlock)."""
    if flavour(collection) == "mongodb":
        yield
        return
    prefix = (collection.database.name, collection.name)
    async with contextlib.AsyncExitStack() as stack:
        # Ids of different types (str, ObjectId) do not compare: order by type name, then text.
        for doc_id in sorted(set(doc_ids), key=lambda i: (type(i).__name__, str(i))):
            key = (*prefix, doc_id)
            lock = _document_locks.get(key)
            if lock is None:
                lock = asyncio.Lock()
                _document_locks[key] = lock
            await stack.enter_async_context(lock)
        yield


def create_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongodb_uri.get_secret_value(),
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        appname=settings.service_name,
        tz_aware=True,
        event_listeners=[CommandMetrics()],
    )
    set_flavour(client, settings.mongodb_flavour)
    return client


def database(client: AsyncMongoClient[Document], settings: ServiceSettings) -> AsyncDatabase[Document]:
    return client[settings.mongodb_database]


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True
