"""MongoDB access with PyMongo's async API. Each service owns one database and never reads another's."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from denialops_shared.mongo_metrics import CommandMetrics
from denialops_shared.settings import ServiceSettings

Document = dict[str, Any]

_document_locks: weakref.WeakValueDictionary[tuple[str, str, Any], asyncio.Lock] = weakref.WeakValueDictionary()


@contextlib.asynccontextmanager
async def document_lock(collection: AsyncCollection[Document], doc_id: Any) -> AsyncIterator[None]:
    """Serialise this process's updates of one document.

    FerretDB 1.x (the local and test database) applies an update by reading the document and then
    writing it back whole, not atomically, so two concurrent updates of one document can lose one of
    them (e.g. the outbox relay clearing a case's events while an upload links a document to it).
    MongoDB applies each update atomically, and there this costs a dictionary lookup. On FerretDB,
    replicas of a service still race with each other: run one replica of intake there.
    """
    key = (collection.database.name, collection.name, doc_id)
    lock = _document_locks.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _document_locks[key] = lock
    async with lock:
        yield


def create_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongodb_uri.get_secret_value(),
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        appname=settings.service_name,
        tz_aware=True,
        event_listeners=[CommandMetrics()],
    )


def database(client: AsyncMongoClient[Document], settings: ServiceSettings) -> AsyncDatabase[Document]:
    return client[settings.mongodb_database]


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True
