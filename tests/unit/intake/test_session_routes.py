"""The session routes' cookie: HttpOnly and SameSite=Strict always, Secure when served over TLS; sign-out
deletes the session and the cookie."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from denialops_intake.errors import install_error_handlers
from denialops_intake.sessions import Session, SessionStore
from denialops_intake.web import build_session_router


class MemorySessions(SessionStore):
    def __init__(self) -> None:
        self.ttl = dt.timedelta(hours=1)
        self.live: dict[str, Session] = {}

    async def create(self, tenant_id: str) -> Session:
        session = Session(f"token-{len(self.live)}", tenant_id, "csrf", dt.datetime.now(dt.UTC) + self.ttl)
        self.live[session.token] = session
        return session

    async def end(self, token: str) -> None:
        self.live.pop(token, None)


def app_for(sessions: MemorySessions, session: Session | None = None) -> FastAPI:
    """The routes behind a stand-in for the authentication layer: tenant `acme`, with `session` if given."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_session_router(sessions))

    def authenticated(inner: ASGIApp) -> ASGIApp:
        async def call(scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("state", {}).update(tenant_id="acme", session=session)
            await inner(scope, receive, send)

        return call

    app.add_middleware(authenticated)
    return app


@pytest.mark.parametrize(("base_url", "secure"), [("http://testserver", False), ("https://testserver", True)])
def test_sign_in_sets_a_strict_http_only_cookie_secure_over_tls(base_url: str, secure: bool) -> None:
    sessions = MemorySessions()
    with TestClient(app_for(sessions), base_url=base_url) as client:
        response = client.post("/api/v1/session")
    assert response.status_code == 201
    assert response.json()["csrf_token"] == "csrf"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("denialops_session=token-0;")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert ("secure" in cookie.split("; ")) is secure
    assert list(sessions.live) == ["token-0"]


def test_sign_out_ends_the_session_and_clears_the_cookie() -> None:
    sessions = MemorySessions()
    with TestClient(app_for(sessions)) as client:
        client.post("/api/v1/session")
    session = sessions.live["token-0"]
    with TestClient(app_for(sessions, session)) as client:
        assert client.post("/api/v1/session").status_code == 400  # a session cannot make another
        response = client.delete("/api/v1/session")
    assert response.status_code == 204
    assert sessions.live == {}
    assert 'denialops_session=""' in response.headers["set-cookie"]


def test_sign_out_needs_a_session() -> None:
    with TestClient(app_for(MemorySessions())) as client:
        assert client.delete("/api/v1/session").status_code == 400
