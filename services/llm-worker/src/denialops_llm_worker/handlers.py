"""llm-worker use cases: collect a run's facts and route, then generate its plan and documents once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from denialops_llm_worker.pipeline import GenerationInput, cancelled_stage, run_stages
from denialops_shared.contracts.artifacts import CaseFacts, RouteDecision
from denialops_shared.contracts.cloudevents import ReceivedEvent, deterministic_event_id, encode
from denialops_shared.contracts.events import EventBody, RunCancelled, Stage, StageCompleted, StageStatus
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox, update_with_events

SOURCE = "/denialops/llm-worker"
INPUT_ARTIFACTS = {Stage.EXTRACT: ("case_facts.json", "facts"), Stage.ROUTE: ("route.json", "decision")}
FINISHED = ["generated", "cancelled"]


class Generator:
    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox, today: Callable[[], dt.date]) -> None:
        self.runs = db["runs"]
        self.outbox = outbox
        self.today = today

    async def create_indexes(self) -> None:
        await self.runs.create_index([("outbox_at", ASCENDING)])

    async def on_stage_completed(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, StageCompleted)
        wanted = INPUT_ARTIFACTS.get(body.stage)
        if wanted is None or body.status is not StageStatus.SUCCEEDED:
            return
        artifact_name, field = wanted
        content = next((a.content for a in body.artifacts if a.name == artifact_name), None)
        if content is None:
            return
        run = await self.runs.find_one_and_update(
            {"_id": body.run_id},
            {
                "$set": {field: content},
                "$setOnInsert": {"tenant_id": body.tenant_id, "case_id": body.case_id, "status": "waiting"},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert run is not None  # upsert always returns a document
        if run["status"] == "waiting" and "facts" in run and "decision" in run:
            await self._generate(run)

    async def _generate(self, run: Document) -> None:
        stages = run_stages(
            GenerationInput(
                tenant_id=run["tenant_id"],
                case_id=run["case_id"],
                run_id=str(run["_id"]),
                facts=CaseFacts.model_validate_json(run["facts"]),
                decision=RouteDecision.model_validate_json(run["decision"]),
                today=self.today(),
            )
        )
        await self._finish(run["_id"], "generated", stages)

    async def on_run_cancelled(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, RunCancelled)
        await self.runs.update_one(
            {"_id": body.run_id},
            {"$setOnInsert": {"tenant_id": body.tenant_id, "case_id": body.case_id, "status": "waiting"}},
            upsert=True,
        )
        stage = cancelled_stage(body.tenant_id, body.case_id, body.run_id, dt.datetime.now(dt.UTC))
        await self._finish(body.run_id, "cancelled", [stage])

    async def _finish(self, run_id: str, status: str, stages: list[StageCompleted]) -> None:
        """Record the outcome and its events in one write, unless the run already finished."""
        events = [
            encode(
                Topic.STAGE_COMPLETED,
                stage,
                source=SOURCE,
                event_id=deterministic_event_id(run_id, stage.stage.value, stage.status.value),
            )
            for stage in stages
        ]
        updated = await self.runs.update_one(
            {"_id": run_id, "status": {"$nin": FINISHED}}, update_with_events({"status": status}, events)
        )
        if updated.modified_count:
            await self.outbox.flush(run_id)
