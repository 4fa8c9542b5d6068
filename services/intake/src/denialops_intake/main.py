"""Composition root and process entrypoint of the intake service."""

from __future__ import annotations

from fastapi import FastAPI

from denialops_intake import __version__, consumers
from denialops_intake.api import build_router, install_error_handlers
from denialops_intake.handlers import Intake
from denialops_intake.repository import IntakeRepository
from denialops_intake.settings import IntakeSettings
from denialops_shared.outbox import Outbox
from denialops_shared.runtime import ServiceContext, build_context, create_app, serve


def bootstrap(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    ctx = build_context(settings)
    repo = IntakeRepository(ctx.db)

    def outbox(collection_name: str) -> Outbox:
        return Outbox(ctx.db[collection_name], ctx.broker, settings.outbox_sweep_seconds)

    intake = Intake(repo, outbox("cases"), outbox("documents"), outbox("runs"))
    consumers.register(ctx.broker, intake)

    async def create_indexes(_: ServiceContext) -> None:
        await repo.create_indexes()

    app = create_app(
        ctx,
        title="DenialOps intake",
        version=__version__,
        on_connected=[create_indexes],
        background=[
            lambda _: intake.case_outbox.run_relay(),
            lambda _: intake.document_outbox.run_relay(),
            lambda _: intake.run_outbox.run_relay(),
        ],
    )
    install_error_handlers(app)
    app.include_router(build_router(intake, settings))
    return app


def main() -> None:
    settings = IntakeSettings()
    serve(bootstrap(settings), settings)


if __name__ == "__main__":
    main()
