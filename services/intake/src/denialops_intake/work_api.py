"""The case-work HTTP API: owner, status, notes, submissions, decisions, history, worklist, analytics.

Every route acts for the request's tenant: another tenant's case is not found, and is absent from the
worklist and the analytics. Refused changes answer 409 (a transition the case's status does not allow)
or 422 (a value out of range) and write nothing. Notes are PHI: stored and shown, never logged.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any, Self

import jwt
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from denialops_intake.api import ERROR_RESPONSES, Tenant, current_tenant
from denialops_intake.auth import credential, looks_like_jwt
from denialops_intake.domain import worklist
from denialops_intake.domain.analytics import analytics
from denialops_intake.domain.casework import (
    MAX_AMOUNT,
    Channel,
    InvalidValue,
    Level,
    Outcome,
    Status,
    TransitionRefused,
)
from denialops_intake.errors import ApiError
from denialops_intake.handlers import Intake
from denialops_intake.tenants import parse_key
from denialops_intake.work import CaseWork
from denialops_shared.mongo import Document

NOTE_MAX_CHARS = 4000
ANALYTICS_DEFAULT_DAYS = 90
ANALYTICS_MAX_DAYS = 3660
Owner = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@+-]+$")]
DocumentName = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class ChangeCase(BaseModel):
    """Any of: `owner` (null clears it), `status`, and `written_off_reason` with status `written_off`."""

    model_config = ConfigDict(extra="forbid")

    owner: Owner | None = None
    status: Status | None = None
    written_off_reason: Reason | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give owner, status or both")
        return self


class AddNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=NOTE_MAX_CHARS)]


class RecordSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Level
    date: dt.date
    channel: Channel
    documents: list[DocumentName] = Field(default_factory=list, max_length=20)


class RecordDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    date: dt.date
    amount_recovered: float = Field(default=0.0, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)


def actor(request: Request) -> str:
    """Who acts, for the history: the API key's public id, or the access token's subject."""
    token = credential(request.headers)
    if looks_like_jwt(token):
        # The authentication layer verified this token; only its subject is read here.
        subject = jwt.decode(token, options={"verify_signature": False}).get("sub")
        return f"token:{subject}" if isinstance(subject, str) and subject else "token"
    key_id = parse_key(token)
    return f"key:{key_id}" if key_id else "unknown"


Actor = Annotated[str, Depends(actor)]


def build_work_router(intake: Intake, work: CaseWork) -> APIRouter:
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(current_tenant)], responses=ERROR_RESPONSES)

    async def tenant_case(case_id: str, tenant_id: Tenant) -> Document:
        case = await intake.repo.get_case(tenant_id, case_id)
        if case is None:
            raise ApiError(404, "not_found", "no such case")
        return case

    TenantCase = Annotated[Document, Depends(tenant_case)]

    @router.patch("/cases/{case_id}", tags=["case work"])
    async def change_case(case: TenantCase, body: ChangeCase, tenant_id: Tenant, by: Actor) -> dict[str, Any]:
        """Set the owner and/or the status (`in_progress`, `closed`, `written_off` with a reason; a
        submission or a decision sets `submitted` and `decided`). 409 for a transition the status does not
        allow."""
        with _refusals():
            return await work.change(
                tenant_id,
                case["_id"],
                by,
                owner=body.owner,
                set_owner="owner" in body.model_fields_set,
                status=body.status,
                written_off_reason=body.written_off_reason,
            )

    @router.post("/cases/{case_id}/notes", status_code=201, tags=["case work"])
    async def add_note(case: TenantCase, body: AddNote, tenant_id: Tenant, by: Actor) -> dict[str, Any]:
        """A note (at most 4000 characters; PHI: kept in the case's history, never logged)."""
        with _refusals():
            return await work.add_note(tenant_id, case["_id"], by, body.text)

    @router.post("/cases/{case_id}/submissions", status_code=201, tags=["case work"])
    async def record_submission(
        case: TenantCase, body: RecordSubmission, tenant_id: Tenant, by: Actor
    ) -> dict[str, Any]:
        """What was sent to the payer: level, date (not before the denial, not in the future), channel and the
        documents sent (artifact names or document ids). The case becomes `submitted`."""
        with _refusals():
            return await work.submit(
                tenant_id,
                case["_id"],
                by,
                level=body.level,
                date=body.date,
                channel=body.channel,
                documents=list(body.documents),
            )

    @router.post("/cases/{case_id}/decisions", status_code=201, tags=["case work"])
    async def record_decision(case: TenantCase, body: RecordDecision, tenant_id: Tenant, by: Actor) -> dict[str, Any]:
        """The payer's decision on the last submission and the amount recovered (0 for upheld, more than 0 for
        a partial overturn, never more than the amount at stake). Upheld moves the case to the next level."""
        with _refusals():
            return await work.decide(
                tenant_id, case["_id"], by, outcome=body.outcome, date=body.date, amount_recovered=body.amount_recovered
            )

    @router.get("/cases/{case_id}/history", tags=["case work"])
    async def history(case: TenantCase) -> dict[str, Any]:
        """Every change, oldest first: when (`at`), who (`by`), what (`action`, `changes`)."""
        return {"case_id": case["_id"], "items": work.history(case)}

    @router.get("/worklist", tags=["case work"])
    async def get_worklist(
        tenant_id: Tenant,
        owner: Owner | None = None,
        status: Status | None = None,
        route: Annotated[str | None, Query(max_length=64)] = None,
        payer: Annotated[str | None, Query(max_length=200)] = None,
        due_before: dt.date | None = None,
        cursor: Annotated[str | None, Query(max_length=512)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """The tenant's open cases (or those of `status`), highest priority first. Pass `next_cursor` as
        `cursor` for the next page."""
        filters = worklist.Filters(owner=owner, status=status, route=route, payer=payer, due_before=due_before)
        items = await intake.repo.tenant_work_items(tenant_id)
        try:
            page, next_cursor = worklist.page(((i["case_id"], i) for i in items), work.today(), filters, limit, cursor)
        except worklist.BadCursor as exc:
            raise ApiError(422, "invalid_cursor", str(exc)) from exc
        return {"items": page, "next_cursor": next_cursor, "as_of": work.today().isoformat()}

    @router.get("/analytics", tags=["case work"])
    async def get_analytics(
        tenant_id: Tenant,
        start: Annotated[dt.date | None, Query(alias="from")] = None,
        end: Annotated[dt.date | None, Query(alias="to")] = None,
    ) -> dict[str, Any]:
        """KPIs and payer × denial code × route slices of the cases denied from `from` to `to` (both included;
        default the last 90 days)."""
        end = end or work.today()
        start = start or end - dt.timedelta(days=ANALYTICS_DEFAULT_DAYS)
        if start > end:
            raise ApiError(422, "invalid_range", "`from` is after `to`")
        if (end - start).days > ANALYTICS_MAX_DAYS:
            raise ApiError(422, "invalid_range", f"the range is longer than {ANALYTICS_MAX_DAYS} days")
        return analytics(await intake.repo.tenant_work_items(tenant_id), start, end)

    return router


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A refused change answers 409 (the status does not allow it) or 422 (a value out of range)."""
    try:
        yield
    except TransitionRefused as exc:
        raise ApiError(409, "invalid_transition", str(exc)) from exc
    except InvalidValue as exc:
        raise ApiError(422, exc.code, exc.message) from exc
