"""llm-worker use cases: collect a run's facts and route, then generate its plan and documents once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from denialops_llm_worker.llm.assistant import Assistant
from denialops_llm_worker.pipeline import GenerationInput, run_stages
from denialops_llm_worker.repository import GeneratorRepository, RunInputs
from denialops_shared.contracts.artifacts import CaseFacts, Deadlines, RouteDecision
from denialops_shared.contracts.cloudevents import EncodedEvent, InvalidEvent, ReceivedEvent, encode_stage
from denialops_shared.contracts.events import (
    DocType,
    DocumentAdded,
    EventBody,
    RunCancelled,
    Stage,
    StageCompleted,
    StageStatus,
    terminal_stage,
)

SOURCE = "/denialops/llm-worker"
# Stage -> (artifact, run field) it brings; the first of each stage is required to generate. `deadlines.json`
# travels with `route.json` (one event), so a run has it when it has the route, unless the router predates it.
INPUT_ARTIFACTS = {
    Stage.EXTRACT: (("case_facts.json", "facts"),),
    Stage.ROUTE: (("route.json", "decision"), ("deadlines.json", "deadlines")),
}


class Relay(Protocol):
    """Publishes events just written with an outcome (the shared `Outbox`)."""

    def flush_soon(self, doc_id: Any, events: Sequence[EncodedEvent]) -> None: ...


class Generator:
    def __init__(
        self,
        repository: GeneratorRepository,
        outbox: Relay,
        today: Callable[[], dt.date],
        assistant: Assistant | None = None,
    ) -> None:
        self.repository = repository
        self.outbox = outbox
        self.today = today
        self.assistant = assistant

    async def on_document_added(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, DocumentAdded)
        if self.assistant is None or body.doc_type is not DocType.DENIAL_LETTER:
            return
        await self.repository.save_letter(body.tenant_id, body.case_id, body.document_id, body.pages)

    async def create_indexes(self) -> None:
        await self.repository.create_indexes()

    async def on_stage_completed(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, StageCompleted)
        inputs = stage_inputs(body)
        if inputs is None:
            return
        # One write records the input and returns the run: whichever stage comes second sees both inputs.
        run = await self.repository.add_inputs(body.run_id, body.tenant_id, body.case_id, inputs)
        if (run.tenant_id, run.case_id) != (body.tenant_id, body.case_id):
            raise InvalidEvent("tenant_mismatch", "the run belongs to another case or tenant")
        # No read of the outcome first: a repeated stage generates again and `finish` drops the copy.
        if run.ready:
            await self._generate(body.run_id, run)

    async def on_events(self, events: Sequence[ReceivedEvent[EventBody]]) -> int:
        """One case's consecutive events of a consumer batch (the consumer's group hook): a run's extract and
        route results side by side (the router publishes them together) are generated from directly, with
        no write of the inputs: the outcome's insert is the one write, and its duplicate key the idempotency
        check as when they come apart. Nothing is read, so the run is generated from these two events only.
        Returns how many leading events it handled (2 or 0)."""
        found = both_inputs(events[0].body, events[1].body)
        if found is None:
            return 0
        await self._generate(*found)
        return 2

    async def _generate(self, run_id: str, run: RunInputs) -> None:
        inputs = run.inputs
        facts = CaseFacts.model_validate_json(inputs["facts"])
        decision = RouteDecision.model_validate_json(inputs["decision"])
        deadlines = Deadlines.model_validate_json(inputs["deadlines"]) if "deadlines" in inputs else None
        today = self.today()
        wording = None
        if self.assistant is not None:
            letter = await self.repository.letter(run.tenant_id, run.case_id)
            facts, wording = await self.assistant.prepare(facts, decision, today, letter, deadlines)
        stages = run_stages(
            GenerationInput(
                tenant_id=run.tenant_id,
                case_id=run.case_id,
                run_id=run_id,
                facts=facts,
                decision=decision,
                today=today,
                wording=wording,
                deadlines=deadlines,
            )
        )
        await self._finish(run_id, "generated", stages)

    async def on_run_cancelled(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, RunCancelled)
        owner = await self.repository.owner(body.run_id)
        if owner is not None and owner != (body.tenant_id, body.case_id):
            raise InvalidEvent("tenant_mismatch", "the run belongs to another case or tenant")
        stage = terminal_stage(body, Stage.PLAN, StageStatus.CANCELLED, dt.datetime.now(dt.UTC))
        await self._finish(body.run_id, "cancelled", [stage])

    async def _finish(self, run_id: str, status: str, stages: list[StageCompleted]) -> None:
        """Record the outcome with its events; recording it is the claim, so a run finishes once."""
        events = [encode_stage(s, SOURCE) for s in stages]
        if await self.repository.finish(run_id, status, events):
            self.outbox.flush_soon(run_id, events)


def stage_inputs(body: StageCompleted) -> dict[str, str] | None:
    """The run fields a succeeded input stage brings (`INPUT_ARTIFACTS`); None for any other stage result."""
    wanted = INPUT_ARTIFACTS.get(body.stage)
    if wanted is None or body.status is not StageStatus.SUCCEEDED:
        return None
    contents = {a.name: a.content for a in body.artifacts}
    (required, _), *_ = wanted
    if required not in contents:
        return None
    return {field: contents[name] for name, field in wanted if name in contents}


def both_inputs(first: EventBody, second: EventBody) -> tuple[str, RunInputs] | None:
    """(run id, its inputs) when `first` and `second` are a run's two input stages (in either order), of one
    tenant, case and run; None otherwise."""
    if not (isinstance(first, StageCompleted) and isinstance(second, StageCompleted)):
        return None
    if (first.tenant_id, first.case_id, first.run_id) != (second.tenant_id, second.case_id, second.run_id):
        return None
    one, other = stage_inputs(first), stage_inputs(second)
    if one is None or other is None or first.stage is second.stage:
        return None
    return first.run_id, RunInputs(first.tenant_id, first.case_id, {**one, **other})
