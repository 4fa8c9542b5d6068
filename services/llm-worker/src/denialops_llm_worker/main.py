"""Composition root and process entrypoint of the llm-worker service."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI

from denialops_llm_worker import __version__, consumers
from denialops_llm_worker.handlers import Generator
from denialops_llm_worker.settings import LlmWorkerSettings
from denialops_shared.outbox import Outbox
from denialops_shared.runtime import ServiceContext, build_context, create_app, serve


def bootstrap(settings: LlmWorkerSettings | None = None) -> FastAPI:
    settings = settings or LlmWorkerSettings()
    ctx = build_context(settings)
    pinned = settings.clock_today

    def today() -> dt.date:
        return pinned or dt.datetime.now(dt.UTC).date()

    generator = Generator(ctx.db, Outbox(ctx.db["runs"], ctx.broker, settings.outbox_sweep_seconds), today)
    consumers.register(ctx.broker, generator)

    async def create_indexes(_: ServiceContext) -> None:
        await generator.create_indexes()

    return create_app(
        ctx,
        title="DenialOps llm-worker",
        version=__version__,
        on_connected=[create_indexes],
        background=[lambda _: generator.outbox.run_relay()],
    )


def main() -> None:
    settings = LlmWorkerSettings()
    serve(bootstrap(settings), settings)


if __name__ == "__main__":
    main()
