"""The web page's session cookie as a credential: CSRF token on every state-changing request, same
origin for WebSockets, and keys or tokens in headers taking precedence."""

from __future__ import annotations

import datetime as dt

import pytest

from denialops_intake.auth import Authenticator, Forbidden, Unauthenticated
from denialops_intake.sessions import Session
from tests.unit.intake.test_auth import KEY, FakeTenants

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
SESSION = Session("cookie-token", "acme", "csrf-token", LATER)


class FakeSessions:
    async def find(self, token: str) -> Session | None:
        return SESSION if token == SESSION.token else None


AUTH = Authenticator(FakeTenants({KEY: "other"}, {"acme", "other"}), sessions=FakeSessions())


async def test_a_session_reads_without_a_csrf_token() -> None:
    identity = await AUTH.identify({}, SESSION.token, "GET")
    assert identity.tenant_id == "acme"
    assert identity.session == SESSION


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
async def test_a_session_writes_only_with_its_csrf_token(method: str) -> None:
    with pytest.raises(Forbidden):
        await AUTH.identify({}, SESSION.token, method)
    with pytest.raises(Forbidden):
        await AUTH.identify({"x-csrf-token": "csrf-tokem"}, SESSION.token, method)
    identity = await AUTH.identify({"x-csrf-token": "csrf-token"}, SESSION.token, method)
    assert identity.tenant_id == "acme"


async def test_an_unknown_or_ended_session_is_unauthenticated() -> None:
    with pytest.raises(Unauthenticated, match="sign in again"):
        await AUTH.identify({}, "forged", "GET")


async def test_a_header_credential_wins_over_the_cookie() -> None:
    identity = await AUTH.identify({"x-api-key": KEY}, SESSION.token, "POST")
    assert identity.tenant_id == "other"
    assert identity.session is None
    with pytest.raises(Unauthenticated):
        await AUTH.identify({"authorization": "Bearer nope"}, SESSION.token, "GET")


async def test_a_session_websocket_must_come_from_this_origin() -> None:
    same = {"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"}
    assert (await AUTH.identify(same, SESSION.token, "GET", websocket=True)).tenant_id == "acme"
    for headers in ({"host": "127.0.0.1:8000", "origin": "https://evil.example"}, {"host": "127.0.0.1:8000"}):
        with pytest.raises(Forbidden):
            await AUTH.identify(headers, SESSION.token, "GET", websocket=True)


async def test_no_session_store_means_headers_only() -> None:
    auth = Authenticator(FakeTenants({}, set()))
    with pytest.raises(Unauthenticated, match="missing credentials"):
        await auth.identify({}, SESSION.token, "GET")
