"""The LLM cache: a decorator around any `Completer`, with an in-memory LRU, MongoDB or Redis behind it.

The key is a sha256 over provider, model, prompt version, parameters and messages, so no letter
text is ever a key. Only calls at or below a temperature threshold are cached (others are not
meant to repeat). A backend that fails is a miss, counted in `denialops_llm_cache_errors_total` and
logged, never an error: the cache must not fail a case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Protocol, TypeVar

from cachetools import TTLCache
from pydantic import BaseModel, ValidationError
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from denialops_shared.llm.client import Completer, LlmRequest, TextRequest, json_schema
from denialops_shared.llm.metrics import CACHE_ENTRIES, CACHE_ERRORS, CACHE_HITS, CACHE_MISSES
from denialops_shared.mongo import Document

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

SWEEP_EVERY = 100
# Redis may be shared with other programs: every key of this cache is under this prefix.
REDIS_KEY_PREFIX = "denialops:llm-cache:"


class CacheBackend(Protocol):
    """Strings by key, each kept `ttl_seconds` (given at construction). `get` and `set` never raise."""

    name: str

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


def cache_key(provider: str, model: str, request: TextRequest) -> str:
    schema = json_schema(request.schema) if isinstance(request, LlmRequest) else "text"
    material = {
        "provider": provider,
        "model": model,
        "prompt": request.prompt.id,
        "params": {"temperature": request.temperature, "schema": schema},
        "messages": request.messages,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _failed(backend: str, operation: str, exc: Exception) -> None:
    CACHE_ERRORS.labels(backend=backend, operation=operation).inc()
    extra = {"backend": backend, "operation": operation, "error_class": type(exc).__name__}
    log.warning("llm.cache.failed", extra=extra)


class MemoryCache:
    """An LRU of at most `max_entries`, each expiring `ttl_seconds` after it was written. Used from the
    event loop only (no await inside an operation), so it needs no lock."""

    name = "memory"

    def __init__(self, max_entries: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: TTLCache[str, str] = TTLCache(maxsize=max_entries, ttl=ttl_seconds, timer=clock)

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> str | None:
        return self._entries.get(key)

    async def set(self, key: str, value: str) -> None:
        self._entries[key] = value
        CACHE_ENTRIES.labels(backend=self.name).set(len(self._entries))


class MongoCache:
    """Entries in the service's own database, shared by its replicas. Expiry is checked on every read;
    expired entries are deleted every `SWEEP_EVERY` writes (FerretDB has no TTL indexes)."""

    name = "mongo"

    def __init__(
        self,
        collection: AsyncCollection[Document],
        ttl_seconds: float,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._collection = collection
        self._ttl = dt.timedelta(seconds=ttl_seconds)
        self._clock = clock
        self._writes = 0

    async def create_indexes(self) -> None:
        await self._collection.create_index([("expires_at", ASCENDING)])

    async def get(self, key: str) -> str | None:
        try:
            # `_id` alone: FerretDB answers only that filter from an index. Expiry is checked here.
            found = await self._collection.find_one({"_id": key})
        except PyMongoError as exc:
            _failed(self.name, "get", exc)
            return None
        if found is None or found["expires_at"] <= self._clock():
            return None
        return str(found["value"])

    async def set(self, key: str, value: str) -> None:
        try:
            await self._collection.update_one(
                {"_id": key}, {"$set": {"value": value, "expires_at": self._clock() + self._ttl}}, upsert=True
            )
            self._writes += 1
            if self._writes % SWEEP_EVERY == 0:
                await self._collection.delete_many({"expires_at": {"$lte": self._clock()}})
            CACHE_ENTRIES.labels(backend=self.name).set(await self._collection.estimated_document_count())
        except PyMongoError as exc:
            _failed(self.name, "set", exc)


class RedisCache:
    """Entries in Redis, shared by every replica; the TTL is Redis's own expiry (`SET ... PX`), so Redis
    forgets an entry by itself. A Redis that is down or slow (`socket_timeout` on the client) is a miss."""

    name = "redis"

    def __init__(self, redis: Redis, ttl_seconds: float) -> None:
        self._redis = redis
        self._ttl_ms = max(1, round(ttl_seconds * 1000))

    async def get(self, key: str) -> str | None:
        try:
            found = await self._redis.get(REDIS_KEY_PREFIX + key)
        except RedisError as exc:
            _failed(self.name, "get", exc)
            return None
        return found.decode() if isinstance(found, bytes) else found

    async def set(self, key: str, value: str) -> None:
        try:
            await self._redis.set(REDIS_KEY_PREFIX + key, value, px=self._ttl_ms)
        except RedisError as exc:
            _failed(self.name, "set", exc)


class CachedCompleter:
    """A `Completer` that answers repeated low-temperature calls from `backend`."""

    def __init__(
        self, inner: Completer, backend: CacheBackend, *, provider: str, model: str, max_temperature: float
    ) -> None:
        self._inner = inner
        self._backend = backend
        self._provider = provider
        self._model = model
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
        await self._backend.set(key, value.model_dump_json())
        return value

    async def stream(self, request: TextRequest) -> AsyncIterator[str]:
        """A cached answer comes as one piece; a new one streams as it arrives and is stored once whole."""
        if request.temperature > self._max_temperature:
            async for text in self._inner.stream(request):
                yield text
            return
        key = cache_key(self._provider, self._model, request)
        cached = await self._backend.get(key)
        if cached is not None:
            CACHE_HITS.labels(backend=self._backend.name).inc()
            yield cached
            return
        CACHE_MISSES.labels(backend=self._backend.name).inc()
        parts: list[str] = []
        async for text in self._inner.stream(request):
            parts.append(text)
            yield text
        await self._backend.set(key, "".join(parts))
