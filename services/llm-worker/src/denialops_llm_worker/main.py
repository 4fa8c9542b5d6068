"""Composition root and process entrypoint of the llm-worker service."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from denialops_llm_worker import __version__, consumers
from denialops_llm_worker.handlers import Generator
from denialops_llm_worker.llm.assistant import Assistant
from denialops_llm_worker.repository import MongoGeneratorRepository
from denialops_llm_worker.settings import LlmWorkerSettings
from denialops_shared.llm.factory import build_completer
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox
from denialops_shared.runtime import ServiceContext, StartupHook, build_context, create_app, serve


def build_assistant(
    settings: LlmWorkerSettings, db: AsyncDatabase[Document] | None
) -> tuple[Assistant | None, list[StartupHook]]:
    """The model behind its cache, or None without a key. Also the startup hooks the cache needs."""
    completer, hooks = build_completer(settings.llm, settings.cache, db)
    if completer is None:
        return None, []
    assistant = Assistant(
        completer,
        model=settings.llm.model,
        prompt_version=settings.llm.prompt_version,
        temperature=settings.llm.temperature,
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
    outbox = Outbox(ctx.db["outcomes"], ctx.broker, settings.outbox_sweep_seconds)
    generator = Generator(MongoGeneratorRepository(ctx.db), outbox, today, assistant)
    consumers.register(ctx.broker, settings.consumer_options, generator)

    async def create_indexes(_: ServiceContext) -> None:
        await generator.create_indexes()

    return create_app(
        ctx,
        title="DenialOps llm-worker",
        version=__version__,
        on_connected=[create_indexes, *cache_hooks],
        background=[lambda _: outbox.run_relay()],
    )


def main() -> None:
    settings = LlmWorkerSettings()
    serve(bootstrap(settings), settings)


if __name__ == "__main__":
    main()
