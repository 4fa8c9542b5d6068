"""Builds a service's model path from its settings: the client, behind the configured cache."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from denialops_shared.llm.cache import CacheBackend, CachedCompleter, MemoryCache, MongoCache, RedisCache
from denialops_shared.llm.circuit import CircuitBreaker
from denialops_shared.llm.client import Completer, LlmClient
from denialops_shared.llm.settings import CacheSettings, LlmSettings, create_client
from denialops_shared.mongo import Document
from denialops_shared.runtime import ServiceContext, StartupHook

CACHE_COLLECTION = "llm_cache"


def redis_client(cache: CacheSettings) -> Redis:
    """Redis as the cache uses it: short timeouts and no retries of its own, so an outage is a quick miss."""
    timeout = cache.redis_timeout_seconds
    return Redis.from_url(
        cache.redis_url.get_secret_value(),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


def build_completer(
    llm: LlmSettings, cache: CacheSettings, db: AsyncDatabase[Document] | None
) -> tuple[Completer | None, list[StartupHook]]:
    """The model behind the configured cache, or None without a key; and the startup hooks the cache needs."""
    client = create_client(llm)
    if client is None:
        return None, []
    breaker = CircuitBreaker(llm.circuit_failure_threshold, llm.circuit_reset_seconds)
    completer: Completer = LlmClient(llm, client, breaker)
    hooks: list[StartupHook] = []
    backend: CacheBackend
    if cache.backend == "none":
        return completer, hooks
    if cache.backend == "memory":
        backend = MemoryCache(cache.max_entries, cache.ttl_seconds)
    elif cache.backend == "mongo":
        if db is None:
            raise ValueError("the mongo cache backend needs the service database")
        mongo_cache = backend = MongoCache(db[CACHE_COLLECTION], cache.ttl_seconds)

        async def create_cache_indexes(_: ServiceContext) -> None:
            await mongo_cache.create_indexes()

        hooks.append(create_cache_indexes)
    else:
        backend = RedisCache(redis_client(cache), cache.ttl_seconds)
    cached = CachedCompleter(
        completer, backend, provider=llm.provider, model=llm.model, max_temperature=cache.max_temperature
    )
    return cached, hooks
