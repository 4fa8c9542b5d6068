"""llm-worker use cases: collect a run's facts and route, then generate its plan and documents once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from denialops_llm_worker.llm.assistant import Assistant
from denialops_llm_worker.pipeline import GenerationInput, run_stages
from denialops_shared.contracts.artifacts import CaseFacts, Deadlines, RouteDecision
from denialops_shared.contracts.cloudevents import InvalidEvent, ReceivedEvent, encode_stage
from denialops_shared.contracts.events import (
    DocType,
    DocumentAdded,
    EventBody,
    Page,
    RunCancelled,
    Stage,
    StageCompleted,
    StageStatus,
    terminal_stage,
)
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox, with_events

SOURCE = "/denialops/llm-worker"
# Stage -> (artifact, run field) it brings; the first of each stage is required to generate. `deadlines.json`
# travels with `route.json` (one event), so a run has it when it has the route, unless the router predates it.
INPUT_ARTIFACTS = {
    Stage.EXTRACT: (("case_facts.json", "facts"),),
    Stage.ROUTE: (("route.json", "decision"), ("deadlines.json", "deadlines")),
}


class Generator:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        outbox: Outbox,
        today: Callable[[], dt.date],
        assistant: Assistant | None = None,
    ) -> None:
        # A run's inputs (facts, route) collect in `runs`; its outcome, once, in `outcomes` (with the outbox).
        self.runs = db["runs"]
        self.outcomes = db["outcomes"]
        # The denial letter's pages, kept only while an LLM is configured (it reads them to refine facts).
        self.letters = db["letters"]
        self.outbox = outbox
        self.today = today
        self.assistant = assistant

    async def on_document_added(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, DocumentAdded)
        if self.assistant is None or body.doc_type is not DocType.DENIAL_LETTER:
            return
        await self.letters.update_one(
            {"_id": f"{body.tenant_id}:{body.case_id}"},
            {"$set": {"pages": [page.model_dump() for page in body.pages], "document_id": body.document_id}},
            upsert=True,
        )

    async def _letter(self, tenant_id: str, case_id: str) -> list[Page]:
        found = await self.letters.find_one({"_id": f"{tenant_id}:{case_id}"})
        return [Page.model_validate(page) for page in found["pages"]] if found else []

    async def create_indexes(self) -> None:
        await self.outcomes.create_index([("outbox_at", ASCENDING)])

    async def on_stage_completed(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, StageCompleted)
        wanted = INPUT_ARTIFACTS.get(body.stage)
        if wanted is None or body.status is not StageStatus.SUCCEEDED:
            return
        contents = {a.name: a.content for a in body.artifacts}
        (required, _), *_ = wanted
        if required not in contents:
            return
        run = await self.runs.find_one_and_update(
            {"_id": body.run_id},
            {
                "$set": {field: contents[name] for name, field in wanted if name in contents},
                "$setOnInsert": {"tenant_id": body.tenant_id, "case_id": body.case_id, "status": "waiting"},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert run is not None  # upsert always returns a document
        if "facts" in run and "decision" in run and await self.outcomes.find_one({"_id": body.run_id}) is None:
            await self._generate(run)

    async def _generate(self, run: Document) -> None:
        facts = CaseFacts.model_validate_json(run["facts"])
        decision = RouteDecision.model_validate_json(run["decision"])
        deadlines = Deadlines.model_validate_json(run["deadlines"]) if "deadlines" in run else None
        today = self.today()
        wording = None
        if self.assistant is not None:
            letter = await self._letter(run["tenant_id"], run["case_id"])
            facts, wording = await self.assistant.prepare(facts, decision, today, letter, deadlines)
        stages = run_stages(
            GenerationInput(
                tenant_id=run["tenant_id"],
                case_id=run["case_id"],
                run_id=str(run["_id"]),
                facts=facts,
                decision=decision,
                today=today,
                wording=wording,
                deadlines=deadlines,
            )
        )
        await self._finish(run["_id"], "generated", stages)

    async def on_run_cancelled(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, RunCancelled)
        run = await self.runs.find_one({"_id": body.run_id}, {"tenant_id": 1, "case_id": 1})
        if run is not None and (run["tenant_id"], run["case_id"]) != (body.tenant_id, body.case_id):
            raise InvalidEvent("tenant_mismatch", "the run belongs to another case or tenant")
        stage = terminal_stage(body, Stage.PLAN, StageStatus.CANCELLED, dt.datetime.now(dt.UTC))
        await self._finish(body.run_id, "cancelled", [stage])

    async def _finish(self, run_id: str, status: str, stages: list[StageCompleted]) -> None:
        """Record the outcome with its events; inserting it is the claim, so a run finishes once."""
        outcome = {"_id": run_id, "status": status, "finished_at": dt.datetime.now(dt.UTC)}
        events = [encode_stage(s, SOURCE) for s in stages]
        try:
            await self.outcomes.insert_one(with_events(outcome, events))
        except DuplicateKeyError:
            return  # generated or cancelled already
        self.outbox.flush_soon(run_id, events)
