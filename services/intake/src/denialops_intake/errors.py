"""The one error shape of the API: {"error": {"code", "message", "request_id"}}.

Messages are written here or in the handlers, never taken from a library or an exception: no stack
trace, library message, file path or configuration value reaches a response.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from denialops_intake.handlers import Conflict, NotFound, Overloaded

# A run or request takes about a second once it is in: a client that waits this long finds room soon.
OVERLOADED_RETRY_AFTER_SECONDS = 1
# The database is unreachable: the driver has already waited for it (server selection), so ask for a
# few seconds, about how long a failover or a restart takes.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5

# Statuses the framework raises by itself, with our code and message for each.
_HTTP_ERRORS = {
    400: ("bad_request", "the request could not be parsed"),
    404: ("not_found", "not found"),
    405: ("method_not_allowed", "method not allowed"),
    413: ("payload_too_large", "the request body is too large"),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", ""))


def error_response(
    scope: Scope, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    request_id = request_id_of(scope)
    return JSONResponse(
        {"error": {"code": code, "message": message, "request_id": request_id}},
        status_code=status,
        headers={**(headers or {}), "X-Request-ID": request_id},
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request.scope, exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _: NotFound) -> JSONResponse:
        return error_response(request.scope, 404, "not_found", "no such case")

    @app.exception_handler(Overloaded)
    async def overloaded(request: Request, _: Overloaded) -> JSONResponse:
        return error_response(
            request.scope,
            503,
            "overloaded",
            "too many runs are in progress; retry after the time in Retry-After",
            {"Retry-After": str(OVERLOADED_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return error_response(request.scope, 409, "conflict", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Locations only: echoing the input could echo PHI.
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        return error_response(request.scope, 422, "invalid_request", f"invalid request: {fields}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_ERRORS.get(exc.status_code, ("http_error", "the request failed"))
        return error_response(request.scope, exc.status_code, code, message, exc.headers)
