"""Load shedding at the door: past the bound an API request gets 503 overloaded at once; streams and
paths outside the API are not counted, and a finished request makes room."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from denialops_intake.errors import install_error_handlers
from denialops_intake.middleware import RequestContext, RequestLimit


def refused() -> float:
    return REGISTRY.get_sample_value("denialops_overload_refusals_total", {"limit": "requests_in_flight"}) or 0.0


def make_app(release: asyncio.Event, limit: int) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/v1/slow")
    async def slow() -> dict[str, str]:
        await release.wait()
        return {"status": "done"}

    @app.get("/api/v1/cases/{case_id}/events")
    async def events(case_id: str) -> dict[str, str]:
        await release.wait()
        return {"case": case_id}

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(RequestLimit, limit=limit, streams=[r"/api/v1/cases/[^/]+/events"])
    app.add_middleware(RequestContext)
    return app


async def test_requests_past_the_bound_are_refused_at_once_until_one_finishes() -> None:
    release = asyncio.Event()
    transport = httpx.ASGITransport(app=make_app(release, limit=2))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        # The open stream is not counted: two requests still get in beside it.
        stream = asyncio.create_task(client.get("/api/v1/cases/c-1/events"))
        held = [asyncio.create_task(client.get("/api/v1/slow")) for _ in range(2)]
        await asyncio.sleep(0.05)
        before = refused()

        turned_away = await asyncio.wait_for(client.get("/api/v1/slow"), 1)
        assert turned_away.status_code == 503
        assert turned_away.headers["Retry-After"] == "1"
        error = turned_away.json()["error"]
        assert error["code"] == "overloaded"
        assert error["request_id"] == turned_away.headers["X-Request-ID"]
        assert refused() == before + 1
        assert (await asyncio.wait_for(client.get("/health/live"), 1)).status_code == 200, "not an API path"

        release.set()
        assert [r.status_code for r in await asyncio.gather(stream, *held)] == [200, 200, 200]
        assert (await client.get("/api/v1/slow")).status_code == 200, "room again"
