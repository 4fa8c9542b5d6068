"""Composition root and process entrypoint of the health service."""

from __future__ import annotations

import dataclasses
import html
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from denialops_health import __version__
from denialops_health.aggregate import SystemStatus, poll_forever
from denialops_health.settings import HealthSettings
from denialops_shared.runtime import build_context, create_app, readiness, serve


def bootstrap(settings: HealthSettings | None = None) -> FastAPI:
    settings = settings or HealthSettings()
    ctx = build_context(settings)
    status = SystemStatus()
    app = create_app(
        ctx, title="DenialOps health", version=__version__, background=[lambda _: poll_forever(settings, status)]
    )

    async def snapshot() -> dict[str, Any]:
        dependencies = await readiness(ctx)
        healthy = status.healthy and all(dependencies.values())
        return {
            "status": "ok" if healthy else "degraded",
            "checked_at": status.checked_at,
            "dependencies": dependencies,
            "services": status.services,
            "consumer_lag": [dataclasses.asdict(item) for item in status.lag],
        }

    @app.get("/health", tags=["health"])
    async def aggregate() -> JSONResponse:
        body = await snapshot()
        return JSONResponse(_jsonable(body), status_code=200 if body["status"] == "ok" else 503)

    @app.get("/status", response_class=HTMLResponse, tags=["health"])
    async def status_page() -> str:
        body = await snapshot()
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{'ready' if s['ready'] else 'NOT READY'}</td></tr>"
            for name, s in body["services"].items()
        )
        deps = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{'up' if ok else 'DOWN'}</td></tr>"
            for name, ok in body["dependencies"].items()
        )
        lag = "".join(
            f"<tr><td>{html.escape(i['group'])}</td><td>{html.escape(i['topic'])}</td>"
            f"<td>{i['partition']}</td><td>{i['lag']}</td></tr>"
            for i in body["consumer_lag"]
        )
        return (
            "<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='5'>"
            "<title>DenialOps status</title></head><body>"
            f"<h1>DenialOps: {html.escape(body['status'])}</h1>"
            f"<h2>Services</h2><table>{rows}</table><h2>Dependencies</h2><table>{deps}</table>"
            f"<h2>Consumer lag</h2><table><tr><th>group</th><th>topic</th><th>partition</th><th>lag</th></tr>"
            f"{lag}</table></body></html>"
        )

    return app


def _jsonable(body: dict[str, Any]) -> dict[str, Any]:
    checked = body["checked_at"]
    return {**body, "checked_at": checked.isoformat() if checked else None}


def main() -> None:
    settings = HealthSettings()
    serve(bootstrap(settings), settings)


if __name__ == "__main__":
    main()
