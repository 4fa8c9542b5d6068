"""Composition root and process entrypoint of the intake service."""

from __future__ import annotations

from fastapi import FastAPI

from denialops_intake import __version__, consumers
from denialops_intake.admission import RunAdmission
from denialops_intake.api import build_router
from denialops_intake.auth import Authenticator, JwtVerifier
from denialops_intake.errors import install_error_handlers
from denialops_intake.handlers import Intake, utc_today
from denialops_intake.middleware import Authentication, BodyLimit, RequestContext, RequestLimit, SecurityHeaders
from denialops_intake.ratelimit import TenantRateLimiter
from denialops_intake.reminders import ReminderSweep
from denialops_intake.remittances import RemittanceIntake
from denialops_intake.repository import IntakeRepository
from denialops_intake.sessions import SessionStore
from denialops_intake.settings import IntakeSettings
from denialops_intake.summary_stream import build_summary_router
from denialops_intake.tenants import TenantStore
from denialops_intake.web import install_web
from denialops_intake.work import CaseWork
from denialops_intake.work_api import build_work_router
from denialops_shared.llm.factory import build_completer
from denialops_shared.outbox import Outbox
from denialops_shared.runtime import ServiceContext, build_context, create_app, serve
from denialops_shared.settings import InsecureConfiguration


def bootstrap(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    ctx = build_context(settings)
    repo = IntakeRepository(ctx.db)

    def outbox(collection_name: str) -> Outbox:
        return Outbox(ctx.db[collection_name], ctx.broker, settings.outbox_sweep_seconds)

    tenants = TenantStore(ctx.db, settings.api_key_cache_seconds)
    sessions = SessionStore(ctx.db, settings.session_ttl_seconds)
    admission = RunAdmission(settings.max_runs_in_flight, settings.run_admission_forget_seconds)
    pinned = settings.clock_today
    today = (lambda: pinned) if pinned is not None else utc_today
    intake = Intake(
        repo, outbox("cases"), outbox("documents"), outbox("runs"), tenants, admission=admission, today=today
    )
    work = CaseWork(repo, today)
    reminders = ReminderSweep(repo, tenants, intake.case_outbox, today, settings.reminder_sweep_seconds)
    remittances = RemittanceIntake(intake, work)
    consumers.register(ctx.broker, settings.consumer_options, intake, remittances)

    async def create_indexes(_: ServiceContext) -> None:
        await repo.create_indexes()
        await tenants.create_indexes()

    completer, cache_hooks = build_completer(settings.llm, settings.cache, ctx.db)

    app = create_app(
        ctx,
        title="DenialOps intake",
        version=__version__,
        on_connected=[create_indexes, *cache_hooks],
        background=[
            lambda _: intake.case_outbox.run_relay(),
            lambda _: intake.document_outbox.run_relay(),
            lambda _: intake.run_outbox.run_relay(),
            lambda _: reminders.run(),
        ],
    )
    install_error_handlers(app)
    app.include_router(build_router(intake, settings, work, remittances))
    app.include_router(build_work_router(intake, work))
    app.include_router(build_summary_router(repo, settings.llm, completer))
    install_web(app, sessions)
    install_security(app, Authenticator(tenants, JwtVerifier.from_settings(settings), sessions), settings)
    return app


# Long-lived responses, left out of the request bound: live progress and the streamed summary.
STREAMS = (r"/api/v1/cases/[^/]+/events", r"/api/v1/cases/[^/]+/stream/summary")


def install_security(app: FastAPI, authenticator: Authenticator, settings: IntakeSettings) -> None:
    """Body limits, then authentication and rate limits, then load shedding, then request ids, then the
    security headers (the outermost layer)."""
    # Multipart framing around the file: boundaries, part headers and the doc_type field.
    upload_limit = settings.max_upload_bytes + 64 * 1024
    app.add_middleware(
        BodyLimit,
        default_limit=settings.max_json_bytes,
        limits=[
            (r"/api/v1/cases/[^/]+/documents", upload_limit),
            (r"/api/v1/remittances", settings.max_remittance_bytes + 64 * 1024),
        ],
    )
    app.add_middleware(Authentication, authenticator=authenticator, limiter=TenantRateLimiter(settings.rate_limit))
    app.add_middleware(RequestLimit, limit=settings.max_requests_in_flight, streams=STREAMS)
    app.add_middleware(RequestContext)
    app.add_middleware(SecurityHeaders)


def main() -> None:
    try:
        settings = IntakeSettings()
    except InsecureConfiguration as exc:
        # The message names the missing settings only; exit without a traceback.
        raise SystemExit(str(exc)) from None
    serve(bootstrap(settings), settings)


if __name__ == "__main__":
    main()
