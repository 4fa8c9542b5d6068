"""Composition root and process entrypoint of the health service."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from denialops_health import __version__
from denialops_health.aggregate import SystemStatus, poll_forever
from denialops_health.settings import HealthSettings
from denialops_health.status_page import render
from denialops_shared.config_view import configuration_report
from denialops_shared.runtime import build_context, create_app, readiness, serve


def bootstrap(settings: HealthSettings | None = None) -> FastAPI:
    settings = settings or HealthSettings()
    ctx = build_context(settings)
    status = SystemStatus()
    app = create_app(
        ctx, title="DenialOps health", version=__version__, background=[lambda _: poll_forever(settings, status)]
    )
    own_configuration = configuration_report(settings.service_name, __version__, settings)

    async def snapshot() -> dict[str, Any]:
        dependencies = await readiness(ctx)
        healthy = status.healthy and all(dependencies.values())
        checked = status.checked_at
        return {
            "status": "ok" if healthy else "degraded",
            "checked_at": checked.isoformat() if checked else None,
            "dependencies": dependencies,
            "optional_dependencies": status.optional,
            "services": status.services,
            "consumer_lag": [dataclasses.asdict(item) for item in status.lag],
            "configuration": {"health": own_configuration, **status.configuration},
        }

    @app.get("/health", tags=["health"])
    async def aggregate() -> JSONResponse:
        body = await snapshot()
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    @app.get("/status", response_class=HTMLResponse, tags=["health"])
    async def status_page() -> str:
        return render(await snapshot())

    return app


def main() -> None:
    settings = HealthSettings()
    serve(bootstrap(settings), settings)


if __name__ == "__main__":
    main()
