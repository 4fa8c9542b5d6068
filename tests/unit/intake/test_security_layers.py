"""The ASGI layers in front of the API, on a small app with a fake tenant store (no infrastructure)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, UploadFile
from pydantic import BaseModel
from starlette.types import Message

from denialops_intake.api import Tenant
from denialops_intake.auth import Authenticator
from denialops_intake.errors import install_error_handlers
from denialops_intake.middleware import Authentication, BodyLimit, RequestContext
from denialops_intake.ratelimit import TenantRateLimiter
from denialops_shared.logging import current_log_context

KEY = "dop_0123456789abcdef_" + "s" * 43
OTHER_KEY = "dop_fedcba9876543210_" + "t" * 43


class FakeTenants:
    async def tenant_for_key(self, key: str) -> str | None:
        return {KEY: "acme", OTHER_KEY: "globex"}.get(key)

    async def exists(self, tenant_id: str) -> bool:
        return tenant_id in ("acme", "globex")


class Body(BaseModel):
    text: str = ""


def make_app(rate_limit: str = "100/second") -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/v1/whoami")
    async def whoami(tenant_id: Tenant) -> dict[str, Any]:
        return {"tenant": tenant_id, "log_context": current_log_context()}

    @app.post("/api/v1/echo")
    async def echo(body: Body, tenant_id: Tenant) -> dict[str, int]:
        return {"length": len(body.text)}

    @app.post("/api/v1/upload")
    async def upload(file: UploadFile, tenant_id: Tenant) -> dict[str, int]:
        return {"size": len(await file.read())}

    @app.get("/api/v1/boom")
    async def boom(tenant_id: Tenant) -> None:
        raise RuntimeError("secret detail /work/main/file.py mongodb://user:pw@host")

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(BodyLimit, default_limit=1024, limits=[(r"/api/v1/upload", 4096)])
    app.add_middleware(
        Authentication, authenticator=Authenticator(FakeTenants()), limiter=TenantRateLimiter(rate_limit)
    )
    app.add_middleware(RequestContext)
    return app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    return error


async def test_the_tenant_comes_from_the_key_and_is_in_the_log_context(http: httpx.AsyncClient) -> None:
    acme = await http.get("/api/v1/whoami", headers={"Authorization": f"Bearer {KEY}"})
    assert acme.json()["tenant"] == "acme"
    assert acme.json()["log_context"] == {"request_id": acme.headers["x-request-id"], "tenant_id": "acme"}
    globex = await http.get("/api/v1/whoami", headers={"X-API-Key": OTHER_KEY, "X-Tenant-ID": "acme"})
    assert globex.json()["tenant"] == "globex"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"X-API-Key": KEY[:-1]}])
async def test_api_routes_need_a_valid_key_and_health_does_not(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.get("/api/v1/whoami", headers=headers)
    error_of(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    # Unknown paths under the prefix are refused too, before routing says whether they exist.
    error_of(await http.get("/api/v1/no-such-route", headers=headers), 401, "unauthorized")
    assert (await http.get("/health/live", headers=headers)).status_code == 200


async def test_rate_limit_per_tenant_with_retry_after() -> None:
    transport = httpx.ASGITransport(app=make_app("3/minute"))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        acme = {"Authorization": f"Bearer {KEY}"}
        assert [(await http.get("/api/v1/whoami", headers=acme)).status_code for _ in range(3)] == [200] * 3
        limited = await http.get("/api/v1/whoami", headers=acme)
        error_of(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # Another tenant has its own budget.
        assert (await http.get("/api/v1/whoami", headers={"X-API-Key": OTHER_KEY})).status_code == 200


async def test_a_declared_body_over_the_limit_is_refused_before_reading_it() -> None:
    app = make_app()
    received = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"x" * 100, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/echo",
        "raw_path": b"/api/v1/echo",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {KEY}".encode()), (b"content-length", str(200 * 2**20).encode())],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("intake", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert received == 0


async def test_a_streamed_body_is_cut_off_at_the_limit(http: httpx.AsyncClient) -> None:
    async def chunks(total: int) -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(total // 512):
            yield b"x" * 512
        yield b'"}'

    auth = {"Authorization": f"Bearer {KEY}", "content-type": "application/json"}
    assert (await http.post("/api/v1/echo", content=chunks(512), headers=auth)).json() == {"length": 512}
    error_of(await http.post("/api/v1/echo", content=chunks(8192), headers=auth), 413, "payload_too_large")
    # Uploads have their own, larger limit.
    upload = {"Authorization": f"Bearer {KEY}"}
    small = await http.post("/api/v1/upload", files={"file": ("a.txt", b"a" * 2048)}, headers=upload)
    assert small.json() == {"size": 2048}
    big = await http.post("/api/v1/upload", files={"file": ("a.txt", b"a" * 8192)}, headers=upload)
    error_of(big, 413, "payload_too_large")


async def test_an_unhandled_error_is_the_one_shape_with_nothing_of_the_exception(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/boom", headers={"Authorization": f"Bearer {KEY}"})
    error = error_of(response, 500, "internal_error")
    for leak in ("secret", "RuntimeError", "/work", "mongodb", "Traceback"):
        assert leak not in response.text
    assert error["message"] == "something went wrong; try again later"
