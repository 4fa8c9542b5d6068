"""The web page for case workers: its static files (served here, never from a CDN) and the session
endpoints that exchange a tenant's API key for a browser session.

The page is plain HTML, CSS and ES modules under `web/` with no build step; it reads and writes
through the same `/api/v1` endpoints as every other client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from denialops_intake.api import ERROR_RESPONSES, Tenant
from denialops_intake.errors import ApiError
from denialops_intake.sessions import SESSION_COOKIE, Session, SessionStore

WEB_ROOT = Path(__file__).parent / "web"


def _request_session(request: Request) -> Session | None:
    session = request.scope.get("state", {}).get("session")
    return session if isinstance(session, Session) else None


def build_session_router(sessions: SessionStore) -> APIRouter:
    responses = {**ERROR_RESPONSES, 400: {**ERROR_RESPONSES[401], "description": "Not possible with this credential"}}
    router = APIRouter(prefix="/api/v1", tags=["session"], responses=responses)

    @router.post("/session", status_code=201)
    async def sign_in(request: Request, response: Response, tenant_id: Tenant) -> dict[str, Any]:
        """Exchange the API key (or JWT) of this request for a session cookie; the key is not kept."""
        if _request_session(request) is not None:
            raise ApiError(400, "bad_request", "sign in with an API key, not with a session")
        session = await sessions.create(tenant_id)
        response.set_cookie(
            SESSION_COOKIE,
            session.token,
            max_age=int(sessions.ttl.total_seconds()),
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return {"tenant_id": tenant_id, "csrf_token": session.csrf_token, "expires_at": session.expires_at}

    @router.get("/session")
    async def current_session(request: Request, tenant_id: Tenant) -> dict[str, Any]:
        """Who the caller is; for a session, its CSRF token (the page keeps it in memory only)."""
        session = _request_session(request)
        return {
            "tenant_id": tenant_id,
            "csrf_token": session.csrf_token if session else None,
            "expires_at": session.expires_at if session else None,
        }

    @router.delete("/session", status_code=204)
    async def sign_out(request: Request, response: Response, tenant_id: Tenant) -> None:
        """End the session on the server: the cookie is worthless from now on, wherever it was copied."""
        session = _request_session(request)
        if session is None:
            raise ApiError(400, "bad_request", "there is no session to end: this request used a key or token")
        await sessions.end(session.token)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")

    return router


def install_web(app: FastAPI, sessions: SessionStore) -> None:
    app.include_router(build_session_router(sessions))
    app.mount("/static", StaticFiles(directory=WEB_ROOT / "static"), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB_ROOT / "index.html", media_type="text/html; charset=utf-8")
