"""Router use cases: keep a projection of cases, documents and run requests; run a case once it is ready.

A run starts when its case is known (case.created), a denial letter has arrived and the run was
requested (explicitly, or implicitly by `auto_run`). Events may come in any order and any number of
times: inserting the run's document, together with its outbox, is the claim that makes sure each run
is computed and published once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor

import orjson
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from denialops_router.domain import read_by_ocr
from denialops_router.metrics import ROUTES_CHOSEN, STAGE_FAILURES
from denialops_router.pipeline import RunInput, RunOutcome, failed, run_stages
from denialops_shared.contracts.cloudevents import InvalidEvent, ReceivedEvent, encode_stage
from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    EventBody,
    Mode,
    RunCancelled,
    RunRequested,
    Stage,
    StageCompleted,
    StageStatus,
    auto_run_id,
    terminal_stage,
)
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox, with_events

SOURCE = "/denialops/router"

log = logging.getLogger(__name__)


class Router:
    """The router's projection, read and written by `_id` only.

    FerretDB's SQLite backend answers a filter on `_id` alone from its index and scans the whole
    collection for anything else, so every hot path here is keyed: the case document lists its
    documents and requested runs, and a run document exists only once the run started (or was
    cancelled) — inserting it is the claim that makes each run happen once.
    """

    def __init__(
        self, db: AsyncDatabase[Document], outbox: Outbox, extraction: Callable[[], Executor] | None = None
    ) -> None:
        # Extraction is CPU-bound and holds the GIL: off the event loop in a process pool when given
        # (the service), inline otherwise (tests).
        self._new_executor = extraction
        self._executor = extraction() if extraction else None
        self.cases = db["cases"]
        self.documents = db["documents"]
        self.runs = db["runs"]
        self.outbox = outbox

    async def create_indexes(self) -> None:
        await self.runs.create_index([("outbox_at", ASCENDING)])

    async def on_case_created(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, CaseCreated)
        update: Document = {"$set": {"mode": body.mode.value, "auto_run": body.auto_run}}
        if body.auto_run:
            update["$addToSet"] = {"requested_runs": auto_run_id(body.case_id)}
        await self._update_case(body, update)

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
                    "extraction_method": body.extraction_method,
                    "added_at": event.time,
                }
            },
            upsert=True,
        )
        await self._update_case(body, {"$addToSet": {"document_ids": body.document_id}}, tenant_checked=True)

    async def on_run_requested(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, RunRequested)
        update: Document = {"$addToSet": {"requested_runs": body.run_id}}
        if body.document_id is not None:
            # The run reads this letter, and waits for it if its document.added is still on its way.
            update["$set"] = {f"run_letters.{body.run_id}": body.document_id}
        await self._update_case(body, update)

    async def on_run_cancelled(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, RunCancelled)
        await self._check_tenant(body)
        # Claiming the run as cancelled means it never starts; one already started is left to later stages.
        cancelled = terminal_stage(body, Stage.EXTRACT, StageStatus.CANCELLED, dt.datetime.now(dt.UTC))
        run = {"_id": body.run_id, "case_id": body.case_id, "tenant_id": body.tenant_id, "status": "cancelled"}
        await self._claim(run, [cancelled])

    async def _check_tenant(self, body: EventBody) -> Document | None:
        case = await self.cases.find_one({"_id": body.case_id})
        if case is not None and case.get("tenant_id") not in (None, body.tenant_id):
            raise InvalidEvent("tenant_mismatch", "the case belongs to another tenant")
        return case

    async def _update_case(self, body: EventBody, update: Document, *, tenant_checked: bool = False) -> None:
        if not tenant_checked:
            await self._check_tenant(body)
        update["$set"] = {**update.get("$set", {}), "tenant_id": body.tenant_id}
        case = await self.cases.find_one_and_update(
            {"_id": body.case_id}, update, upsert=True, return_document=ReturnDocument.AFTER
        )
        assert case is not None  # upsert always returns a document
        await self.start_ready_runs(case)

    async def _claim(self, run: Document, stages: list[StageCompleted]) -> bool:
        """Insert the run with its events and publish them; False when it was already started or cancelled."""
        events = [encode_stage(s, SOURCE) for s in stages]
        try:
            await self.runs.insert_one(with_events(run, events))
        except DuplicateKeyError:
            return False
        self.outbox.flush_soon(run["_id"], events)
        return True

    async def start_ready_runs(self, case: Document) -> None:
        if "mode" not in case or not case.get("requested_runs"):
            return  # case.created has not arrived yet, or nothing asked for a run
        found = [await self.documents.find_one({"_id": doc_id}) for doc_id in case.get("document_ids", [])]
        documents = sorted((d for d in found if d is not None), key=lambda d: d["added_at"])

        def pages_of(*doc_types: DocType) -> list[list[str]]:
            wanted = {t.value for t in doc_types}
            return [doc["pages"] for doc in documents if doc["doc_type"] in wanted]

        letters = [doc for doc in documents if doc["doc_type"] == DocType.DENIAL_LETTER.value]
        if not letters:
            return
        run_input = RunInput(
            tenant_id=case["tenant_id"],
            case_id=case["_id"],
            run_id="",
            letter_pages=[],
            eob_pages=pages_of(DocType.EOB),
            plan_pages=pages_of(DocType.SBC, DocType.EOC),
            verified=case["mode"] == Mode.VERIFIED.value,
        )
        for run_id in case["requested_runs"]:
            letter = _letter_of(run_id, case, letters)
            if letter is not None and await self.runs.find_one({"_id": run_id}) is None:
                ocr = read_by_ocr(letter.get("extraction_method", "text"))
                await self._start(
                    dataclasses.replace(run_input, run_id=run_id, letter_pages=letter["pages"], letter_ocr=ocr)
                )

    async def _run_stages(self, run_input: RunInput) -> RunOutcome:
        if self._executor is None:
            return run_stages(run_input)
        return await asyncio.get_running_loop().run_in_executor(self._executor, run_stages, run_input)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _start(self, run_input: RunInput) -> None:
        run_id = run_input.run_id
        try:
            outcome = await self._run_stages(run_input)
        except BrokenExecutor:
            # A worker process died (killed, out of memory): the input is not at fault, so retry it.
            self._executor = self._new_executor() if self._new_executor else None
            raise
        except Exception as exc:
            # The stages report their own failures; this is the step itself (e.g. a result the pool
            # cannot send back). The same input would fail again: end the run instead of retrying it.
            outcome = failed(run_input, Stage.EXTRACT, exc, dt.datetime.now(dt.UTC))
        run = {
            "_id": run_id,
            "case_id": run_input.case_id,
            "tenant_id": run_input.tenant_id,
            "status": "done",
            "done_at": dt.datetime.now(dt.UTC),
        }
        if not await self._claim(run, outcome.stages):
            return  # another delivery ran it first, and counted it
        if outcome.failure is None:
            ROUTES_CHOSEN.labels(route=_route_of(outcome.stages)).inc()
            return
        # Logged here, not in the worker process, and counted once per run: no text, only what failed.
        stage, error_class = outcome.failure.stage.value, outcome.failure.error_class
        STAGE_FAILURES.labels(stage=stage, error_class=error_class).inc()
        log.error("router.stage.failed", extra={"run_id": run_id, "stage": stage, "error_class": error_class})


def _letter_of(run_id: str, case: Document, letters: list[Document]) -> Document | None:
    """The letter a run reads: the one it names (None until it arrives), the case's first for its auto run,
    else the newest (a run requested after a later letter reads that letter)."""
    named = case.get("run_letters", {}).get(run_id)
    if named is not None:
        return next((doc for doc in letters if doc["_id"] == named), None)
    return letters[0] if run_id == auto_run_id(case["_id"]) else letters[-1]


def _route_of(stages: list[StageCompleted]) -> str:
    route = next(a.content for s in stages if s.stage is Stage.ROUTE for a in s.artifacts if a.name == "route.json")
    return str(orjson.loads(route)["route"])
