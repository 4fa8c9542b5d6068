"""Router use cases: keep a projection of cases, documents and run requests; run a case once it is ready.

A run starts when its case is known (case.created), a denial letter has arrived and the run was
requested (explicitly, or implicitly by `auto_run`). Events may come in any order and any number of
times: the run's single-document transition from `pending` to `done`, written together with its
outbox, makes sure each run is computed and published once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import orjson
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from denialops_router.metrics import ROUTES_CHOSEN
from denialops_router.pipeline import RunInput, run_stages
from denialops_shared.contracts.cloudevents import (
    EncodedEvent,
    InvalidEvent,
    ReceivedEvent,
    deterministic_event_id,
    encode,
)
from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    EventBody,
    Mode,
    RunCancelled,
    RunRequested,
    SafeError,
    Stage,
    StageCompleted,
    StageStatus,
    auto_run_id,
    terminal_stage,
)
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox, update_with_events, with_events

SOURCE = "/denialops/router"

log = logging.getLogger(__name__)


class Router:
    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox) -> None:
        self.cases = db["cases"]
        self.documents = db["documents"]
        self.runs = db["runs"]
        self.outbox = outbox

    async def create_indexes(self) -> None:
        await self.documents.create_index([("case_id", ASCENDING), ("doc_type", ASCENDING)])
        await self.runs.create_index([("case_id", ASCENDING), ("status", ASCENDING)])
        await self.runs.create_index([("outbox_at", ASCENDING)])

    async def on_case_created(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, CaseCreated)
        await self._check_tenant(body)
        await self.cases.update_one(
            {"_id": body.case_id},
            {"$set": {"tenant_id": body.tenant_id, "mode": body.mode.value, "auto_run": body.auto_run}},
            upsert=True,
        )
        if body.auto_run:
            await self._request(body.tenant_id, body.case_id, auto_run_id(body.case_id))
        await self.start_ready_runs(body.case_id)

    async def on_document_added(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, DocumentAdded)
        await self._check_tenant(body)
        await self.documents.update_one(
            {"_id": body.document_id},
            {
                "$setOnInsert": {
                    "case_id": body.case_id,
                    "tenant_id": body.tenant_id,
                    "doc_type": body.doc_type.value,
                    "pages": [p.text for p in body.pages],
                    "added_at": event.time,
                }
            },
            upsert=True,
        )
        await self.start_ready_runs(body.case_id)

    async def on_run_requested(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, RunRequested)
        await self._check_tenant(body)
        await self._request(body.tenant_id, body.case_id, body.run_id)
        await self.start_ready_runs(body.case_id)

    async def on_run_cancelled(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, RunCancelled)
        await self._check_tenant(body)
        # A run not started yet never starts, and says so; one already done is left to the later stages.
        cancelled = terminal_stage(body, Stage.EXTRACT, StageStatus.CANCELLED, dt.datetime.now(dt.UTC))
        events = [_encode(cancelled)]
        run = {"_id": body.run_id, "case_id": body.case_id, "tenant_id": body.tenant_id, "status": "cancelled"}
        try:
            await self.runs.insert_one(with_events(run, events))
        except DuplicateKeyError:
            result = await self.runs.update_one(
                {"_id": body.run_id, "status": "pending"}, update_with_events({"status": "cancelled"}, events)
            )
            if not result.modified_count:
                return
        await self.outbox.flush(body.run_id)

    async def _check_tenant(self, body: EventBody) -> None:
        case = await self.cases.find_one({"_id": body.case_id}, {"tenant_id": 1})
        if case is not None and case.get("tenant_id") not in (None, body.tenant_id):
            raise InvalidEvent("tenant_mismatch", "the case belongs to another tenant")

    async def _request(self, tenant_id: str, case_id: str, run_id: str) -> None:
        await self.runs.update_one(
            {"_id": run_id},
            {"$setOnInsert": {"case_id": case_id, "tenant_id": tenant_id, "status": "pending"}},
            upsert=True,
        )

    async def start_ready_runs(self, case_id: str) -> None:
        case = await self.cases.find_one({"_id": case_id})
        if case is None or "mode" not in case:
            return  # case.created has not arrived yet
        documents = await self.documents.find({"case_id": case_id}).sort("added_at", ASCENDING).to_list()

        def pages_of(*doc_types: DocType) -> list[list[str]]:
            wanted = {t.value for t in doc_types}
            return [doc["pages"] for doc in documents if doc["doc_type"] in wanted]

        letters = pages_of(DocType.DENIAL_LETTER)
        if not letters:
            return
        run_input = RunInput(
            tenant_id=case["tenant_id"],
            case_id=case_id,
            run_id="",
            letter_pages=letters[0],
            eob_pages=pages_of(DocType.EOB),
            plan_pages=pages_of(DocType.SBC, DocType.EOC),
            verified=case["mode"] == Mode.VERIFIED.value,
        )
        async for run in self.runs.find({"case_id": case_id, "status": "pending"}, {"_id": 1}):
            await self._start(dataclasses.replace(run_input, run_id=str(run["_id"])))

    async def _start(self, run_input: RunInput) -> None:
        run_id = run_input.run_id
        try:
            stages = run_stages(run_input)
        except Exception as exc:
            # The same input would fail again: end the run with a safe error instead of retrying it.
            log.error("router.run.failed", extra={"run_id": run_id, "error_class": type(exc).__name__})
            stages = [_failed_extraction(run_input)]
        started = await self.runs.update_one(
            {"_id": run_id, "status": "pending"},
            update_with_events({"status": "done", "done_at": dt.datetime.now(dt.UTC)}, [_encode(s) for s in stages]),
        )
        if started.modified_count:
            if stages[0].status is StageStatus.SUCCEEDED:
                ROUTES_CHOSEN.labels(route=_route_of(stages)).inc()
            await self.outbox.flush(run_id)


def _encode(stage: StageCompleted) -> EncodedEvent:
    """Stage events get ids derived from what they report, so a repeated step publishes the same event."""
    event_id = deterministic_event_id(stage.run_id, stage.stage.value, stage.status.value, str(stage.attempt))
    return encode(Topic.STAGE_COMPLETED, stage, source=SOURCE, event_id=event_id)


def _failed_extraction(run_input: RunInput) -> StageCompleted:
    error = SafeError(
        code="extraction_failed",
        message="The letter could not be read. Upload a clearer copy or contact support with the task id.",
    )
    run = RunRequested(
        tenant_id=run_input.tenant_id, case_id=run_input.case_id, run_id=run_input.run_id, requested_by="router"
    )
    return terminal_stage(run, Stage.EXTRACT, StageStatus.FAILED, dt.datetime.now(dt.UTC), error)


def _route_of(stages: list[StageCompleted]) -> str:
    route = next(a.content for s in stages if s.stage is Stage.ROUTE for a in s.artifacts if a.name == "route.json")
    return str(orjson.loads(route)["route"])
