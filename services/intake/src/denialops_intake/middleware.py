"""The ASGI layers in front of the API, outermost first:

1. `RequestContext`: a request id on every response and log line; a database that cannot be reached
   (authentication included) becomes 503 unavailable with Retry-After, any other unhandled exception
   500; both in the one error shape, with nothing of the exception in it.
2. `RequestLimit`: load shedding at the door. At most so many API requests are in progress; one more
   gets 503 overloaded with Retry-After at once, before any work (authentication included) is done.
   Past its capacity a server only queues, and every request would wait until it timed out.
3. `Authentication`: every `/api/v1` request, HTTP or WebSocket, carries a valid credential (else 401)
   or the web page's session cookie (a state-changing request also its CSRF token, else 403); its
   tenant is bound to the request and counted against the tenant's rate limit (else 429).
4. `BodyLimit`: a declared Content-Length over the limit is refused before any byte is read; otherwise
   bytes are counted as they stream in and the request is cut off at the limit, so a body is never
   read whole before the check.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence

from fastapi import HTTPException
from pymongo.errors import ConnectionFailure
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from denialops_intake.auth import Authenticator, Forbidden, Unauthenticated
from denialops_intake.errors import OVERLOADED_RETRY_AFTER_SECONDS, UNAVAILABLE_RETRY_AFTER_SECONDS, error_response
from denialops_intake.metrics import DEPENDENCY_FAILURES, OVERLOAD_REFUSALS, REQUESTS_IN_FLIGHT
from denialops_intake.ratelimit import TenantRateLimiter
from denialops_intake.sessions import SESSION_COOKIE
from denialops_shared.logging import bind_log_context, log_context, reset_log_context

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
DENIAL_RESPONSE = "websocket.http.response"


def _state(scope: Scope) -> dict[str, object]:
    state: dict[str, object] = scope.setdefault("state", {})
    return state


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str, headers: dict[str, str]
) -> None:
    response = error_response(scope, status, code, message, headers)
    if scope["type"] == "http":
        await response(scope, receive, send)
        return
    websocket = WebSocket(scope, receive, send)
    if DENIAL_RESPONSE in scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=1008)


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        _state(scope)["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                started = True
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            elif message["type"] == "websocket.accept":
                started = True
            await send(message)

        token = bind_log_context(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except ConnectionFailure as exc:
            # Not the request's fault and not a bug: the client should send it again shortly.
            DEPENDENCY_FAILURES.labels(dependency="database").inc()
            log.warning("intake.request.database_unavailable", extra={"error_class": type(exc).__name__})
            if not started and scope["type"] == "http":
                message = "the database is not reachable; retry after the time in Retry-After"
                retry_after = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)}
                await error_response(scope, 503, "unavailable", message, retry_after)(scope, receive, send)
        except Exception:
            log.exception("intake.request.failed")
            if not started and scope["type"] == "http":
                response = error_response(scope, 500, "internal_error", "something went wrong; try again later")
                await response(scope, receive, send)
        finally:
            reset_log_context(token)


# The web page's policy, on every response: scripts, styles and connections from this origin only, no
# inline script or style, no framing. FastAPI's interactive docs load Swagger UI from a CDN with inline
# script, so those few paths keep the browser's defaults.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_policy = scope.get("path", "") not in DOCS_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if with_policy:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestLimit:
    def __init__(self, app: ASGIApp, limit: int, streams: Sequence[str] = ()) -> None:
        """`streams`: path regexes of long-lived responses (progress, summary), which stay open for
        minutes and cost little while they wait: they are not counted. WebSockets are not either."""
        self.app = app
        self.limit = limit
        self.streams = [re.compile(pattern) for pattern in streams]
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith(API_PREFIX + "/")
            or any(pattern.fullmatch(path) for pattern in self.streams)
        ):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            OVERLOAD_REFUSALS.labels("requests_in_flight").inc()
            message = "too many requests are in progress; retry after the time in Retry-After"
            retry_after = {"Retry-After": str(OVERLOADED_RETRY_AFTER_SECONDS)}
            await _refuse(scope, receive, send, 503, "overloaded", message, retry_after)
            return
        self.in_flight += 1
        REQUESTS_IN_FLIGHT.set(self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            REQUESTS_IN_FLIGHT.set(self.in_flight)


class Authentication:
    def __init__(self, app: ASGIApp, authenticator: Authenticator, limiter: TenantRateLimiter) -> None:
        self.app = app
        self.authenticator = authenticator
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] not in ("http", "websocket") or not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        try:
            identity = await self.authenticator.identify(
                Headers(scope=scope),
                HTTPConnection(scope).cookies.get(SESSION_COOKIE),
                scope.get("method", "GET"),
                websocket=scope["type"] == "websocket",
            )
        except Unauthenticated as exc:
            log.info("intake.auth.refused")
            headers = {"WWW-Authenticate": 'Bearer realm="denialops"'}
            await _refuse(scope, receive, send, 401, "unauthorized", exc.reason, headers)
            return
        except Forbidden as exc:
            log.info("intake.auth.csrf_refused")
            await _refuse(scope, receive, send, 403, "forbidden", exc.reason, {})
            return
        tenant_id = identity.tenant_id
        retry_after = await self.limiter.retry_after(tenant_id)
        if retry_after is not None:
            log.info("intake.rate_limited", extra={"tenant_id": tenant_id})
            message = "too many requests for this tenant; retry later"
            await _refuse(scope, receive, send, 429, "rate_limited", message, {"Retry-After": str(retry_after)})
            return
        _state(scope)["tenant_id"] = tenant_id
        _state(scope)["session"] = identity.session
        with log_context(tenant_id=tenant_id):
            await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimit:
    def __init__(self, app: ASGIApp, default_limit: int, limits: Sequence[tuple[str, int]] = ()) -> None:
        """`limits`: (path regex, limit) pairs tried in order; other paths get `default_limit`."""
        self.app = app
        self.default_limit = default_limit
        self.limits = [(re.compile(pattern), limit) for pattern, limit in limits]

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.limits if pattern.fullmatch(path)), self.default_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            log.info("intake.request.body_refused")
            status, code = (413, "payload_too_large") if declared.isdigit() else (400, "bad_request")
            message = "the request body is too large" if status == 413 else "invalid Content-Length"
            await _refuse(scope, receive, send, status, code, message, {"Connection": "close"})
            return
        received = 0
        exceeded = responded = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    log.info("intake.request.body_refused")
                    raise BodyTooLarge
            return message

        async def refuse() -> None:
            await _refuse(scope, receive, send, 413, "payload_too_large", "the request body is too large", {})

        async def send_checked(message: Message) -> None:
            # Layers in between (task groups) may turn BodyTooLarge into another error: whatever answer
            # the app then gives, the caller gets the 413.
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
                if exceeded:
                    await refuse()
                    return
            if not exceeded:
                await send(message)

        try:
            await self.app(scope, counted, send_checked)
        except Exception:
            if not exceeded or responded:
                raise
            await refuse()
