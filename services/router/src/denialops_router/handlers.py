"""Router use cases: record what each event says about its case; run the case's runs once they are ready.

A run starts when its case is known (case.created), its denial letter has arrived and the run was
requested (explicitly, or implicitly by `auto_run`). Events may come in any order and any number of
times: each is one write of its facts into the case (see `case_state`), which returns the state before
it, so the router knows which runs this event made ready without reading anything; inserting a run's
document, together with its outbox, is the claim that makes sure each run is computed and published once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor
from typing import Any, Protocol

import orjson

from denialops_router.case_state import (
    Facts,
    ReadyRun,
    State,
    documents_in_order,
    facts_of,
    ready_runs,
    recorded,
)
from denialops_router.domain import read_by_ocr
from denialops_router.metrics import ROUTES_CHOSEN, STAGE_FAILURES
from denialops_router.pipeline import RunInput, RunOutcome, failed, run_stages
from denialops_router.repository import RouterRepository
from denialops_shared.contracts.cloudevents import EncodedEvent, ReceivedEvent, encode_stage, upstream_pair
from denialops_shared.contracts.events import (
    DocType,
    EventBody,
    Mode,
    RunCancelled,
    Stage,
    StageCompleted,
    StageStatus,
    terminal_stage,
)

SOURCE = "/denialops/router"

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Publishes events just written into a run's outbox (`denialops_shared.outbox.Outbox`)."""

    def flush_soon(self, doc_id: Any, events: Sequence[EncodedEvent]) -> None: ...


class Router:
    def __init__(
        self, repository: RouterRepository, outbox: Publisher, extraction: Callable[[], Executor] | None = None
    ) -> None:
        # Extraction is CPU-bound and holds the GIL: off the event loop in a process pool when given
        # (the service), inline otherwise (tests).
        self._new_executor = extraction
        self._executor = extraction() if extraction else None
        self.repository = repository
        self.outbox = outbox

    async def on_case_created(self, event: ReceivedEvent[EventBody]) -> None:
        await self._record(event)

    async def on_document_added(self, event: ReceivedEvent[EventBody]) -> None:
        await self._record(event)

    async def on_run_requested(self, event: ReceivedEvent[EventBody]) -> None:
        await self._record(event)

    async def on_run_cancelled(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, RunCancelled)
        # Recorded first (the case's tenant is checked, and a cancelled run is never ready again), then
        # claimed as cancelled, so that it never starts; one already started is left to later stages.
        await self._record(event)
        cancelled = terminal_stage(body, Stage.EXTRACT, StageStatus.CANCELLED, dt.datetime.now(dt.UTC))
        run = {"_id": body.run_id, "case_id": body.case_id, "tenant_id": body.tenant_id, "status": "cancelled"}
        await self._claim(run, [cancelled])

    async def on_events(self, events: Sequence[ReceivedEvent[EventBody]]) -> int:
        """One case's consecutive events of a consumer batch (the consumer's group hook): an upstream
        `case.created` and its `document.added` (same tenant, either order: `upstream_pair`) set their
        facts in one write of the case, which then starts what the two made ready. Returns how many
        leading events it handled (2 or 0).
        """
        if (pair := upstream_pair(events)) is None:
            return 0
        created, added = pair
        # Facts are paths set in the case: the two events set theirs at once as they would one after the other.
        facts = facts_of(created.body, created.time) | facts_of(added.body, added.time)
        await self._record_facts(added.body, facts)
        return 2

    async def _record(self, event: ReceivedEvent[EventBody]) -> None:
        await self._record_facts(event.body, facts_of(event.body, event.time))

    async def _record_facts(self, body: EventBody, facts: Facts) -> None:
        """Set `facts` (of `body`, or of events of its case and tenant taken together) in one write, and
        start the runs that made ready."""
        change = await self.repository.record(body.case_id, body.tenant_id, facts)
        ready = ready_runs(body.case_id, change.after)
        if recorded(change.before, facts):
            # A redelivery: its first handling may have stopped before a run it made ready was claimed.
            starting = [run for run in ready.values() if not await self.repository.run_started(run.run_id)]
        else:
            # Runs ready before this event were started by the event that made them ready (or will be
            # when that event, not yet acknowledged, is delivered again).
            was_ready = ready_runs(body.case_id, change.before)
            starting = [run for run_id, run in ready.items() if run_id not in was_ready]
        for run in starting:
            await self._start(await self._input(body, change.after, run))

    async def _input(self, body: EventBody, state: State, run: ReadyRun) -> RunInput:
        async def pages_of(*doc_types: DocType) -> list[list[str]]:
            return [
                await self._pages(body.case_id, doc_id, doc) for doc_id, doc in documents_in_order(state, *doc_types)
            ]

        letter = state["documents"][run.letter_id]
        return RunInput(
            tenant_id=body.tenant_id,
            case_id=body.case_id,
            run_id=run.run_id,
            letter_pages=await self._pages(body.case_id, run.letter_id, letter),
            letter_ocr=read_by_ocr(letter.get("extraction_method", "text")),
            eob_pages=await pages_of(DocType.EOB),
            plan_pages=await pages_of(DocType.SBC, DocType.EOC),
            verified=state["mode"] == Mode.VERIFIED.value,
        )

    async def _pages(self, case_id: str, document_id: str, document: Mapping[str, Any]) -> list[str]:
        pages = document.get("pages")
        if pages is None:  # a document past the case's page budget, kept apart
            return await self.repository.pages_kept_apart(case_id, document_id)
        return list(pages)

    async def _claim(self, run: dict[str, Any], stages: list[StageCompleted]) -> bool:
        """Insert the run with its events and publish them; False when it was already started or cancelled."""
        events = [encode_stage(s, SOURCE) for s in stages]
        if not await self.repository.claim(run, events):
            return False
        self.outbox.flush_soon(run["_id"], events)
        return True

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


def _route_of(stages: list[StageCompleted]) -> str:
    route = next(a.content for s in stages if s.stage is Stage.ROUTE for a in s.artifacts if a.name == "route.json")
    return str(orjson.loads(route)["route"])
