"""The intake HTTP API (`/api/v1`). Errors always have the shape {"error": {code, message, request_id}}.

Every route acts for the tenant of the request's credential (`Tenant`), bound by the authentication
middleware; every read and write is scoped by it, so another tenant's case, document, task or artifact
is simply not found.
"""

import asyncio
import re
from collections.abc import AsyncIterable, AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.encoders import jsonable_encoder
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import HTTPConnection

from denialops_intake.domain.remittances import MalformedRemittance
from denialops_intake.domain.runs import stage_progress
from denialops_intake.errors import ApiError, request_id_of
from denialops_intake.handlers import DocumentTooLarge, Intake, NotFound
from denialops_intake.progress import task_updates
from denialops_intake.remittances import RemittanceIntake
from denialops_intake.settings import IntakeSettings
from denialops_intake.text_extraction import UnreadableDocument, extract_pages, sniff_media_type
from denialops_intake.work import CaseWork
from denialops_shared.contracts.events import DocType, Mode, UserContext
from denialops_shared.mongo import Document

UPLOAD_CHUNK_BYTES = 64 * 1024
ARTIFACT_MEDIA_TYPES = {".json": "application/json", ".md": "text/markdown; charset=utf-8"}
# Artifact names are ours (`case_facts.json`, `appeal_letter.md`): anything else, `../` included, is not found.
ARTIFACT_NAME = re.compile(r"[a-z0-9_]{1,64}\.(?:json|md)")
# WebSocket close code for "no such case" (4000-4999 are the application's own).
WS_NOT_FOUND = 4404


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str


class ErrorBody(BaseModel):
    error: ErrorDetail


# Documented on every route so that clients (and schemathesis) can check every error answer's shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "Missing, invalid or revoked credentials",
        403: "A session request without its CSRF token",
        404: "No such resource for this tenant",
        409: "Conflict",
        413: "Body too large",
        422: "Invalid request",
        429: "Rate limited (see Retry-After)",
        503: "Overloaded: too many runs or requests in progress (see Retry-After)",
    }.items()
}


class CreateCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Mode = Mode.FAST
    auto_run: bool = True
    user_context: UserContext = Field(default_factory=dict)


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
        "cancelled_at": run.get("cancelled_at"),
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


def current_tenant(connection: HTTPConnection) -> str:
    """The tenant of the request's credential, bound by the authentication middleware."""
    tenant_id = connection.scope.get("state", {}).get("tenant_id")
    if not tenant_id:
        # Only reachable by a route mounted outside /api/v1: refuse rather than act for nobody.
        raise ApiError(401, "unauthorized", "missing credentials")
    return str(tenant_id)


Tenant = Annotated[str, Depends(current_tenant)]


def build_router(intake: Intake, settings: IntakeSettings, work: CaseWork, remittances: RemittanceIntake) -> APIRouter:
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(current_tenant)], responses=ERROR_RESPONSES)

    async def tenant_case(case_id: str, tenant_id: Tenant) -> Document:
        return await _case_or_404(intake, tenant_id, case_id)

    TenantCase = Annotated[Document, Depends(tenant_case)]

    @router.post("/cases", status_code=201, tags=["cases"])
    async def create_case(body: CreateCase, tenant_id: Tenant) -> dict[str, Any]:
        case = await intake.create_case(tenant_id, body.mode, body.auto_run, body.user_context)
        return _case_view(case)

    @router.get("/cases", tags=["cases"])
    async def list_cases(
        tenant_id: Tenant,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> dict[str, Any]:
        cases = await intake.repo.list_cases(tenant_id, limit, offset)
        return {"items": [_case_view(c) for c in cases], "limit": limit, "offset": offset}

    @router.get("/cases/{case_id}", tags=["cases"])
    async def get_case(case: TenantCase, tenant_id: Tenant) -> dict[str, Any]:
        documents = await intake.repo.case_documents(tenant_id, case["_id"])
        runs = await intake.repo.case_runs(tenant_id, case["_id"], case)
        return {
            **_case_view(case),
            "documents": [_document_view(d) for d in documents],
            "tasks": [_task_view(r) for r in runs],
            "work": await work.case_view(case),
        }

    @router.post("/cases/{case_id}/documents", status_code=201, tags=["documents"])
    async def upload_document(
        case: TenantCase,
        tenant_id: Tenant,
        file: Annotated[UploadFile, File(description="The letter: PDF or UTF-8 text (the file name is ignored)")],
        doc_type: Annotated[DocType, Form()] = DocType.DENIAL_LETTER,
    ) -> dict[str, Any]:
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
                    max_ocr_pages=settings.ocr_max_pages,
                    ocr_page_timeout_s=settings.ocr_page_timeout_seconds,
                ),
                settings.pdf_parse_timeout_seconds,
            )
        except UnreadableDocument as exc:
            raise ApiError(422, "unreadable_document", str(exc)) from exc
        except TimeoutError as exc:
            raise ApiError(422, "unreadable_document", "the document took too long to parse") from exc
        try:
            doc, run_id = await intake.add_document(case, doc_type, data, text)
        except DocumentTooLarge as exc:
            raise ApiError(413, "document_too_large", "the document's text is too large") from exc
        return {**_document_view(doc), "case_id": case["_id"], "task_id": run_id}

    @router.post("/remittances", status_code=201, tags=["remittances"])
    async def upload_remittance(
        tenant_id: Tenant,
        file: Annotated[UploadFile, File(description="An X12 835 file (one or more ISA...IEA interchanges)")],
    ) -> dict[str, Any]:
        """One case per claim that needs work (denied, or adjusted other than routinely); a later 835 of a
        claim updates its case; the same file twice creates nothing. A malformed file is refused whole
        (422, with the segment's position) and nothing is written."""
        data = await _read_bounded(file, settings.max_remittance_bytes)
        try:
            outcome = await remittances.receive(tenant_id, data, via="http")
        except MalformedRemittance as exc:
            raise ApiError(422, "malformed_remittance", exc.where()) from exc
        return outcome.view()

    @router.get("/cases/{case_id}/documents/{document_id}/text", tags=["documents"])
    async def document_text(case: TenantCase, document_id: str, tenant_id: Tenant) -> dict[str, Any]:
        """The document's text page by page, as read at upload: evidence spans are offsets into these pages."""
        doc = await intake.repo.document_pages(tenant_id, case["_id"], document_id)
        if doc is None:
            raise ApiError(404, "not_found", "no such document")
        return {**_document_view(doc), "pages": [{"number": p["number"], "text": p["text"]} for p in doc["pages"]]}

    @router.post("/cases/{case_id}/run/async", status_code=202, tags=["tasks"])
    async def run_async(case: TenantCase, tenant_id: Tenant) -> dict[str, Any]:
        run = await intake.request_run(case, requested_by="api")
        return _task_view(run)

    @router.post("/cases/{case_id}/run", tags=["tasks"], responses={202: {"description": "Still running"}})
    async def run_and_wait(case: TenantCase, tenant_id: Tenant, response: Response) -> dict[str, Any]:
        run = await intake.request_run(case, requested_by="api")
        finished = await intake.wait_for_run(tenant_id, run["_id"], settings.run_wait_seconds)
        view = _task_view(finished or run)
        response.status_code = 200 if view["status"] in ("succeeded", "failed", "cancelled") else 202
        return view

    @router.get("/tasks", tags=["tasks"])
    async def list_tasks(
        tenant_id: Tenant,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> dict[str, Any]:
        runs = await intake.repo.list_runs(tenant_id, limit, offset)
        return {"items": [_task_view(r) for r in runs], "limit": limit, "offset": offset}

    @router.get("/tasks/{task_id}", tags=["tasks"])
    async def get_task(task_id: str, tenant_id: Tenant) -> dict[str, Any]:
        run = await intake.repo.get_run(tenant_id, task_id)
        if run is None:
            raise ApiError(404, "not_found", "no such task")
        return _task_view(run)

    @router.post("/tasks/{task_id}/cancel", status_code=202, tags=["tasks"])
    async def cancel_task(task_id: str, tenant_id: Tenant) -> dict[str, Any]:
        """Cancel a queued or running task: 202 with the cancelled task (again 202, and nothing more, if it
        was cancelled already); 409 once it has finished. Stages still under way publish nothing for it."""
        try:
            run = await intake.cancel_run(tenant_id, task_id, cancelled_by="api")
        except NotFound as exc:
            raise ApiError(404, "not_found", "no such task") from exc
        return _task_view(run)

    @router.get("/cases/{case_id}/artifacts", tags=["artifacts"])
    async def list_artifacts(case: TenantCase, tenant_id: Tenant, task_id: str | None = None) -> dict[str, Any]:
        run_id = await _artifact_run(intake, tenant_id, case, task_id)
        if run_id is None:
            return {"task_id": None, "items": []}
        artifacts = await intake.repo.run_artifacts(tenant_id, run_id, with_content=False)
        return {"task_id": run_id, "items": [_artifact_view(a) for a in artifacts]}

    @router.get("/cases/{case_id}/artifacts/{name}", tags=["artifacts"])
    async def get_artifact(case: TenantCase, name: str, tenant_id: Tenant, task_id: str | None = None) -> Response:
        run_id = await _artifact_run(intake, tenant_id, case, task_id)
        valid = ARTIFACT_NAME.fullmatch(name) is not None
        artifact = await intake.repo.get_artifact(tenant_id, run_id, name) if run_id and valid else None
        if artifact is None:
            raise ApiError(404, "not_found", "no such artifact")
        suffix = name[name.rfind(".") :]
        return Response(artifact["content"], media_type=ARTIFACT_MEDIA_TYPES[suffix])

    def updates(tenant_id: str, case: Document) -> AsyncIterator[dict[str, Any]]:
        case_id = case["_id"]
        # The first look uses the case as the request read it; later ones read it again (for new tasks).
        read: list[Document | None] = [case]

        async def tasks() -> list[dict[str, Any]]:
            known, read[0] = read[0], None
            return [_task_view(r) for r in await intake.repo.case_runs(tenant_id, case_id, known)]

        async def task(run_id: str, written: Document | None) -> dict[str, Any] | None:
            run = written if written is not None else await intake.repo.get_run(tenant_id, run_id)
            return _task_view(run) if run is not None and run["case_id"] == case_id else None

        return task_updates(
            intake.progress,
            tenant_id,
            case_id,
            tasks,
            task,
            poll_seconds=settings.progress_poll_seconds,
            max_seconds=settings.progress_max_seconds,
        )

    @router.get("/cases/{case_id}/events", response_class=EventSourceResponse, tags=["progress"])
    async def case_events(case: TenantCase, tenant_id: Tenant) -> AsyncIterable[ServerSentEvent]:
        """Server-sent events: `task` (a task's status and stage progress) whenever it changes, then `end`
        once every task of the case has finished."""
        async for task in updates(tenant_id, case):
            yield ServerSentEvent(event="task", data=jsonable_encoder(task))
        yield ServerSentEvent(event="end", data={"case_id": case["_id"]})

    @router.websocket("/cases/{case_id}/ws")
    async def case_socket(websocket: WebSocket, case_id: str, tenant_id: Tenant) -> None:
        """The same progress as the `events` stream, as JSON messages {"type": "task" | "end" | "error"}."""
        await websocket.accept()
        try:
            case = await intake.repo.get_case(tenant_id, case_id)
            if case is None:
                error = {"code": "not_found", "message": "no such case", "request_id": request_id_of(websocket.scope)}
                await websocket.send_json({"type": "error", "error": error})
                await websocket.close(code=WS_NOT_FOUND)
                return
            async for task in updates(tenant_id, case):
                await websocket.send_json({"type": "task", "task": jsonable_encoder(task)})
            await websocket.send_json({"type": "end", "case_id": case_id})
            await websocket.close()
        except WebSocketDisconnect:
            return

    return router


async def _case_or_404(intake: Intake, tenant_id: str, case_id: str) -> Document:
    case = await intake.repo.get_case(tenant_id, case_id)
    if case is None:
        raise ApiError(404, "not_found", "no such case")
    return case


async def _artifact_run(intake: Intake, tenant_id: str, case: Document, task_id: str | None) -> str | None:
    """The run whose artifacts to show: the one asked for, else the newest succeeded, else the newest."""
    if task_id is not None:
        return task_id if task_id in case.get("run_ids", []) else None
    runs = await intake.repo.case_runs(tenant_id, case["_id"], case)
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
            raise ApiError(413, "payload_too_large", "the file is too large")
        chunks.append(chunk)
    return b"".join(chunks)
