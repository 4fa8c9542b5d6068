"""Composition root and process entrypoint of the llm-worker service."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from denialops_llm_worker import __version__, consumers
from denialops_llm_worker.handlers import Generator
from denialops_llm_worker.llm.assistant import Assistant
from denialops_llm_worker.llm.cache import CachedCompleter, MemoryCache, MongoCache
from denialops_llm_worker.llm.circuit import CircuitBreaker
from denialops_llm_worker.llm.client import Completer, LlmClient
from denialops_llm_worker.settings import LlmWorkerSettings
from denialops_shared.llm import create_client
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox
from denialops_shared.runtime import ServiceContext, StartupHook, build_context, create_app, serve

CACHE_COLLECTION = "llm_cache"


def build_assistant(
    settings: LlmWorkerSettings, db: AsyncDatabase[Document] | None
) -> tuple[Assistant | None, list[StartupHook]]:
    """The model behind its cache, or None without a key. Also the startup hooks the cache needs."""
    llm = settings.llm
    client = create_client(llm)
    if client is None:
        return None, []
    completer: Completer = LlmClient(
        llm, client, CircuitBreaker(llm.circuit_failure_threshold, llm.circuit_reset_seconds)
    )
    hooks: list[StartupHook] = []
    backend: MemoryCache | MongoCache | None = None
    if settings.cache_backend == "memory":
        backend = MemoryCache(settings.cache_max_entries)
    elif settings.cache_backend == "mongo":
        if db is None:
            raise ValueError("the mongo cache backend needs the service database")
        mongo_cache = backend = MongoCache(db[CACHE_COLLECTION])

        async def create_cache_indexes(_: ServiceContext) -> None:
            await mongo_cache.create_indexes()

        hooks.append(create_cache_indexes)
    if backend is not None:
        completer = CachedCompleter(
            completer,
            backend,
            provider=llm.provider,
            model=llm.model,
            ttl_seconds=settings.cache_ttl_seconds,
            max_temperature=settings.cache_max_temperature,
        )
    assistant = Assistant(
        completer,
        model=llm.model,
        prompt_version=settings.llm_prompt_version,
        temperature=llm.temperature,
        refine_below=settings.llm_refine_below_confidence,
    )
    return assistant, hooks


def bootstrap(settings: LlmWorkerSettings | None = None) -> FastAPI:
    settings = settings or LlmWorkerSettings()
    ctx = build_context(settings)
    pinned = settings.clock_today

    def today() -> dt.date:
        return pinned or dt.datetime.now(dt.UTC).date()

    assistant, cache_hooks = build_assistant(settings, ctx.db)
    generator = Generator(
        ctx.db, Outbox(ctx.db["outcomes"], ctx.broker, settings.outbox_sweep_seconds), today, assistant
    )
    consumers.register(ctx.broker, settings.consumer_options, generator)

    async def create_indexes(_: ServiceContext) -> None:
        await generator.create_indexes()

    return create_app(
        ctx,
        title="DenialOps llm-worker",
        version=__version__,
        on_connected=[create_indexes, *cache_hooks],
        background=[lambda _: generator.outbox.run_relay()],
    )


def main() -> None:
    settings = LlmWorkerSettings()
    serve(bootstrap(settings), settings)


if __name__ == "__main__":
    main()
