"""The LLM cache: a decorator around any `Completer`, with an in-memory LRU or a MongoDB backend.

The key is a sha256 over provider, model, prompt version, parameters and messages, so no letter
text is ever a key. Only calls at or below a temperature threshold are cached (others are not
meant to repeat). A backend that fails is a miss, never an error: the cache must not fail a case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from denialops_llm_worker.llm.client import Completer, LlmRequest, json_schema
from denialops_llm_worker.llm.metrics import CACHE_ENTRIES, CACHE_HITS, CACHE_MISSES
from denialops_shared.mongo import Document

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

SWEEP_EVERY = 100


class CacheBackend(Protocol):
    name: str

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl_seconds: float) -> None: ...


def cache_key(provider: str, model: str, request: LlmRequest[Any]) -> str:
    material = {
        "provider": provider,
        "model": model,
        "prompt": request.prompt.id,
        "params": {"temperature": request.temperature, "schema": json_schema(request.schema)},
        "messages": request.messages,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class MemoryCache:
    """An LRU of at most `max_entries`: O(1) get and set, one lock so threads may share it too."""

    name = "memory"

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if expires_at <= self._clock():
                del self._entries[key]
                CACHE_ENTRIES.labels(backend=self.name).set(len(self._entries))
                return None
            self._entries.move_to_end(key)
            return value

    async def set(self, key: str, value: str, ttl_seconds: float) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + ttl_seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
            CACHE_ENTRIES.labels(backend=self.name).set(len(self._entries))


class MongoCache:
    """Entries in the llm-worker's own database, shared by its replicas. Expiry is checked on every read;
    expired entries are deleted every `SWEEP_EVERY` writes (FerretDB has no TTL indexes)."""

    name = "mongo"

    def __init__(self, collection: AsyncCollection[Document], clock: Callable[[], dt.datetime] | None = None) -> None:
        self._collection = collection
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._writes = 0

    async def create_indexes(self) -> None:
        await self._collection.create_index([("expires_at", ASCENDING)])

    async def get(self, key: str) -> str | None:
        try:
            # `_id` alone: FerretDB answers only that filter from an index. Expiry is checked here.
            found = await self._collection.find_one({"_id": key})
        except PyMongoError as exc:
            log.warning("llm_worker.cache.read_failed", extra={"error_class": type(exc).__name__})
            return None
        if found is None or found["expires_at"] <= self._clock():
            return None
        return str(found["value"])

    async def set(self, key: str, value: str, ttl_seconds: float) -> None:
        expires_at = self._clock() + dt.timedelta(seconds=ttl_seconds)
        try:
            await self._collection.update_one(
                {"_id": key}, {"$set": {"value": value, "expires_at": expires_at}}, upsert=True
            )
            self._writes += 1
            if self._writes % SWEEP_EVERY == 0:
                await self._collection.delete_many({"expires_at": {"$lte": self._clock()}})
            CACHE_ENTRIES.labels(backend=self.name).set(await self._collection.estimated_document_count())
        except PyMongoError as exc:
            log.warning("llm_worker.cache.write_failed", extra={"error_class": type(exc).__name__})


class CachedCompleter:
    """A `Completer` that answers repeated low-temperature calls from `backend`."""

    def __init__(
        self,
        inner: Completer,
        backend: CacheBackend,
        *,
        provider: str,
        model: str,
        ttl_seconds: float,
        max_temperature: float,
    ) -> None:
        self._inner = inner
        self._backend = backend
        self._provider = provider
        self._model = model
        self._ttl_seconds = ttl_seconds
        self._max_temperature = max_temperature

    async def complete(self, request: LlmRequest[T]) -> T:
        if request.temperature > self._max_temperature:
            return await self._inner.complete(request)
        key = cache_key(self._provider, self._model, request)
        cached = await self._backend.get(key)
        if cached is not None:
            try:
                value = request.schema.model_validate_json(cached)
            except ValidationError:
                pass  # Written by an older schema: ask again and overwrite it.
            else:
                CACHE_HITS.labels(backend=self._backend.name).inc()
                return value
        CACHE_MISSES.labels(backend=self._backend.name).inc()
        value = await self._inner.complete(request)
        await self._backend.set(key, value.model_dump_json(), self._ttl_seconds)
        return value
