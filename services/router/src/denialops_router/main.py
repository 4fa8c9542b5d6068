"""Composition root and process entrypoint of the router service."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from fastapi import FastAPI

from denialops_router import __version__, consumers
from denialops_router.extraction_pool import extraction_pool
from denialops_router.handlers import Router
from denialops_router.repository import MongoRouterRepository
from denialops_router.settings import RouterSettings
from denialops_shared.outbox import Outbox
from denialops_shared.runtime import ServiceContext, build_context, create_app, serve


def bootstrap(settings: RouterSettings | None = None) -> FastAPI:
    settings = settings or RouterSettings()
    ctx = build_context(settings)

    def new_pool() -> ProcessPoolExecutor:
        return extraction_pool(settings.extraction_workers)

    repository = MongoRouterRepository(ctx.db)
    outbox = Outbox(repository.runs, ctx.broker, settings.outbox_sweep_seconds)
    router = Router(repository, outbox, new_pool if settings.extraction_workers else None)
    consumers.register(ctx.broker, settings.consumer_options, router)

    async def create_indexes(_: ServiceContext) -> None:
        await repository.create_indexes()

    return create_app(
        ctx,
        title="DenialOps router",
        version=__version__,
        on_connected=[create_indexes],
        background=[lambda _: outbox.run_relay()],
        on_stop=[router.close],
    )


def main() -> None:
    settings = RouterSettings()
    serve(bootstrap(settings), settings)


if __name__ == "__main__":
    main()
