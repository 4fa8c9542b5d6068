"""The intake HTTP API (`/api/v1`). Errors always have the shape {"error": {code, message, request_id}}."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from denialops_intake.handlers import Conflict, Intake, NotFound, stage_progress
from denialops_intake.settings import IntakeSettings
from denialops_intake.text_extraction import UnreadableDocument, extract_pages, sniff_media_type
from denialops_shared.contracts.events import DocType, Mode
from denialops_shared.mongo import Document

log = logging.getLogger(__name__)

UPLOAD_CHUNK_BYTES = 64 * 1024
ARTIFACT_MEDIA_TYPES = {".json": "application/json", ".md": "text/markdown; charset=utf-8"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class CreateCase(BaseModel):
    mode: Mode = Mode.FAST
    auto_run: bool = True
    user_context: dict[str, Annotated[str, Field(max_length=1000)]] = Field(default_factory=dict, max_length=32)


def _case_view(case: Document) -> dict[str, Any]:
    return {
        "case_id": case["_id"],
        "mode": case["mode"],
        "auto_run": case["auto_run"],
        "source": case["source"],
        "created_at": case["created_at"],
    }


def _document_view(doc: Document) -> dict[str, Any]:
    return {
        "document_id": doc["_id"],
        "doc_type": doc["doc_type"],
        "media_type": doc["media_type"],
        "sha256": doc["sha256"],
        "page_count": doc["page_count"],
        "extraction_method": doc["extraction_method"],
        "created_at": doc["created_at"],
    }


def _task_view(run: Document) -> dict[str, Any]:
    stages = run.get("stages", {})
    return {
        "task_id": run["_id"],
        "case_id": run["case_id"],
        "status": run["status"],
        "requested_by": run.get("requested_by"),
        "created_at": run["created_at"],
        "updated_at": run.get("updated_at"),
        "finished_at": run.get("finished_at"),
        "stages": stage_progress(stages),
    }


def _artifact_view(artifact: Document) -> dict[str, Any]:
    return {
        "name": artifact["name"],
        "media_type": artifact["media_type"],
        "sha256": artifact["sha256"],
        "stage": artifact["stage"],
        "run_id": artifact["run_id"],
    }


def current_tenant(request: Request) -> str:
    """The tenant the request acts for (set once per request by the router's dependency)."""
    return str(request.state.tenant_id)


def _bind_tenant(tenant_id: str) -> Callable[[Request], None]:
    # Until authentication lands every request acts for the configured default tenant.
    def bind(request: Request) -> None:
        request.state.tenant_id = tenant_id

    return bind


Tenant = Annotated[str, Depends(current_tenant)]


def build_router(intake: Intake, settings: IntakeSettings) -> APIRouter:
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(_bind_tenant(settings.default_tenant))])

    @router.post("/cases", status_code=201, tags=["cases"])
    async def create_case(body: CreateCase, tenant_id: Tenant) -> dict[str, Any]:
        case = await intake.create_case(tenant_id, body.mode, body.auto_run, body.user_context)
        return _case_view(case)

    @router.get("/cases", tags=["cases"])
    async def list_cases(
        tenant_id: Tenant,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        cases = await intake.repo.list_cases(tenant_id, limit, offset)
        return {"items": [_case_view(c) for c in cases], "limit": limit, "offset": offset}

    @router.get("/cases/{case_id}", tags=["cases"])
    async def get_case(case_id: str, tenant_id: Tenant) -> dict[str, Any]:
        case = await _case_or_404(intake, tenant_id, case_id)
        documents = await intake.repo.case_documents(tenant_id, case_id)
        runs = await intake.repo.case_runs(tenant_id, case_id)
        return {
            **_case_view(case),
            "documents": [_document_view(d) for d in documents],
            "tasks": [_task_view(r) for r in runs],
        }

    @router.post("/cases/{case_id}/documents", status_code=201, tags=["documents"])
    async def upload_document(
        case_id: str,
        tenant_id: Tenant,
        file: Annotated[UploadFile, File(description="The letter: PDF or UTF-8 text")],
        doc_type: Annotated[DocType, Form()] = DocType.DENIAL_LETTER,
    ) -> dict[str, Any]:
        await _case_or_404(intake, tenant_id, case_id)
        data = await _read_bounded(file, settings.max_upload_bytes)
        try:
            media_type = sniff_media_type(data)
            text = await asyncio.wait_for(
                asyncio.to_thread(
                    extract_pages,
                    data,
                    media_type,
                    max_pages=settings.max_pdf_pages,
                    max_chars=settings.max_text_chars,
                ),
                settings.pdf_parse_timeout_seconds,
            )
        except UnreadableDocument as exc:
            raise ApiError(422, "unreadable_document", str(exc)) from exc
        except TimeoutError as exc:
            raise ApiError(422, "unreadable_document", "the document took too long to parse") from exc
        doc, run_id = await intake.add_document(tenant_id, case_id, doc_type, data, text)
        return {**_document_view(doc), "case_id": case_id, "task_id": run_id}

    @router.post("/cases/{case_id}/run/async", status_code=202, tags=["tasks"])
    async def run_async(case_id: str, tenant_id: Tenant) -> dict[str, Any]:
        run = await intake.request_run(tenant_id, case_id, requested_by="api")
        return _task_view(run)

    @router.post("/cases/{case_id}/run", tags=["tasks"])
    async def run_and_wait(case_id: str, tenant_id: Tenant, response: Response) -> dict[str, Any]:
        run = await intake.request_run(tenant_id, case_id, requested_by="api")
        finished = await intake.wait_for_run(tenant_id, run["_id"], settings.run_wait_seconds)
        view = _task_view(finished or run)
        response.status_code = 200 if view["status"] in ("succeeded", "failed", "cancelled") else 202
        return view

    @router.get("/tasks", tags=["tasks"])
    async def list_tasks(
        tenant_id: Tenant,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        runs = await intake.repo.list_runs(tenant_id, limit, offset)
        return {"items": [_task_view(r) for r in runs], "limit": limit, "offset": offset}

    @router.get("/tasks/{task_id}", tags=["tasks"])
    async def get_task(task_id: str, tenant_id: Tenant) -> dict[str, Any]:
        run = await intake.repo.get_run(tenant_id, task_id)
        if run is None:
            raise ApiError(404, "not_found", "no such task")
        return _task_view(run)

    @router.get("/cases/{case_id}/artifacts", tags=["artifacts"])
    async def list_artifacts(case_id: str, tenant_id: Tenant, task_id: str | None = None) -> dict[str, Any]:
        run_id = await _artifact_run(intake, tenant_id, case_id, task_id)
        if run_id is None:
            return {"task_id": None, "items": []}
        artifacts = await intake.repo.run_artifacts(tenant_id, run_id, with_content=False)
        return {"task_id": run_id, "items": [_artifact_view(a) for a in artifacts]}

    @router.get("/cases/{case_id}/artifacts/{name}", tags=["artifacts"])
    async def get_artifact(case_id: str, name: str, tenant_id: Tenant, task_id: str | None = None) -> Response:
        run_id = await _artifact_run(intake, tenant_id, case_id, task_id)
        artifact = await intake.repo.get_artifact(tenant_id, run_id, name) if run_id else None
        if artifact is None:
            raise ApiError(404, "not_found", "no such artifact")
        suffix = name[name.rfind(".") :]
        return Response(artifact["content"], media_type=ARTIFACT_MEDIA_TYPES.get(suffix, "text/plain"))

    return router


async def _case_or_404(intake: Intake, tenant_id: str, case_id: str) -> Document:
    case = await intake.repo.get_case(tenant_id, case_id)
    if case is None:
        raise ApiError(404, "not_found", "no such case")
    return case


async def _artifact_run(intake: Intake, tenant_id: str, case_id: str, task_id: str | None) -> str | None:
    """The run whose artifacts to show: the one asked for, else the newest succeeded, else the newest."""
    await _case_or_404(intake, tenant_id, case_id)
    runs = await intake.repo.case_runs(tenant_id, case_id)
    if task_id is not None:
        return task_id if any(r["_id"] == task_id for r in runs) else None
    succeeded = [r for r in runs if r["status"] == "succeeded"]
    chosen = succeeded or runs
    return str(chosen[0]["_id"]) if chosen else None


async def _read_bounded(file: UploadFile, limit: int) -> bytes:
    """Read at most `limit` bytes; refuse as soon as the upload is larger."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(UPLOAD_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "upload_too_large", f"the file is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def install_error_handlers(app: FastAPI) -> None:
    def error(request: Request, status: int, code: str, message: str) -> JSONResponse:
        request_id = getattr(request.state, "request_id", "")
        return JSONResponse(
            {"error": {"code": code, "message": message, "request_id": request_id}},
            status_code=status,
            headers={"X-Request-ID": request_id},
        )

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.request_id = str(uuid.uuid4())
        try:
            response = await call_next(request)
        except Exception:
            log.exception("intake.request.failed", extra={"request_id": request.state.request_id})
            return error(request, 500, "internal_error", "something went wrong; try again later")
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error(request, exc.status, exc.code, exc.message)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _: NotFound) -> JSONResponse:
        return error(request, 404, "not_found", "no such case")

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return error(request, 409, "conflict", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Locations and types only: echoing the input could echo PHI.
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        return error(request, 422, "invalid_request", f"invalid request: {fields}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error(request, exc.status_code, code, str(exc.detail))
