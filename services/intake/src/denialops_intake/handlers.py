"""Intake's use cases: create cases, add documents, request runs, and project stage results.

HTTP routes and Kafka consumers are thin entrypoints over these functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from denialops_intake.admission import RunAdmission
from denialops_intake.domain.runs import TERMINAL_STATUSES, finishes_run, status_of, with_status
from denialops_intake.domain.worklist import facts_summary, project, route_summary
from denialops_intake.metrics import DENIALS_RECEIVED, RUN_SECONDS, STAGE_SECONDS
from denialops_intake.progress import ProgressHub
from denialops_intake.repository import IntakeRepository, OwnedElsewhere, StageResult
from denialops_intake.tenants import TenantStore
from denialops_intake.text_extraction import ExtractedText
from denialops_shared.contracts.cloudevents import (
    MAX_EVENT_BYTES,
    EncodedEvent,
    InvalidEvent,
    ReceivedEvent,
    deterministic_event_id,
    encode,
    upstream_pair,
)
from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    EventBody,
    Mode,
    Page,
    RunCancelled,
    RunRequested,
    Stage,
    StageCompleted,
    StageStatus,
    auto_run_id,
)
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox

SOURCE = "/denialops/intake"


class NotFound(Exception):
    """The resource does not exist for this tenant (another tenant's resource is not found either)."""


class Conflict(Exception):
    pass


class DocumentTooLarge(Exception):
    """The document's event would exceed what Kafka accepts in one record."""


class Overloaded(Exception):
    """Too many runs are in flight to start another now (see admission.py); nothing was stored."""


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc_today() -> dt.date:
    return now().date()


@dataclass
class RunWatcher:
    """Wakes HTTP requests waiting for a run to finish when this process sees its final stage."""

    _events: dict[str, asyncio.Event] = field(default_factory=dict)

    def event(self, run_id: str) -> asyncio.Event:
        return self._events.setdefault(run_id, asyncio.Event())

    def finished(self, run_id: str) -> None:
        if (event := self._events.get(run_id)) is not None:
            event.set()

    def forget(self, run_id: str) -> None:
        self._events.pop(run_id, None)


@dataclass
class Intake:
    repo: IntakeRepository
    case_outbox: Outbox
    document_outbox: Outbox
    run_outbox: Outbox
    tenants: TenantStore
    watcher: RunWatcher = field(default_factory=RunWatcher)
    # Unbounded unless configured (main.py sets INTAKE_MAX_RUNS_IN_FLIGHT).
    admission: RunAdmission = field(default_factory=lambda: RunAdmission(limit=sys.maxsize, forget_after_seconds=300))
    progress: ProgressHub = field(default_factory=ProgressHub)
    # "Today" for deadlines (CLOCK_TODAY pins it): when a projected deadline became known.
    today: Callable[[], dt.date] = utc_today

    # -- commands from HTTP ---------------------------------------------------------------------

    async def create_case(
        self,
        tenant_id: str,
        mode: Mode,
        auto_run: bool,
        user_context: dict[str, str],
        *,
        case_id: str | None = None,
        source: str = "api",
    ) -> Document:
        """A new case; with `case_id` (derived, as a remittance's claim has) an existing case is returned."""
        case_id = case_id or new_id("case")
        body = CaseCreated(
            tenant_id=tenant_id,
            case_id=case_id,
            mode=mode,
            auto_run=auto_run,
            user_context=user_context,
            source=source,
        )
        doc = _case_document(body, created_at=now())
        events = [encode(Topic.CASE_CREATED, body, source=SOURCE)]
        if not await self.repo.insert_with_events(self.repo.cases, doc, events):
            existing = await self.repo.get_case(tenant_id, case_id)
            if existing is None:
                raise Conflict("the case id is taken")
            return existing
        self.case_outbox.flush_soon(case_id, events)
        return doc

    async def add_document(
        self, case: Document, doc_type: DocType, data: bytes, text: ExtractedText, *, document_id: str | None = None
    ) -> tuple[Document, str | None]:
        """Store the document on `case` (read for its tenant) and publish `document.added`; returns the
        document and the auto-run id if one starts."""
        tenant_id, case_id = case["tenant_id"], case["_id"]
        document_id = document_id or new_id("doc")
        body = DocumentAdded(
            tenant_id=tenant_id,
            case_id=case_id,
            document_id=document_id,
            doc_type=doc_type,
            media_type=text.media_type,
            sha256=hashlib.sha256(data).hexdigest(),
            pages=[Page(number=i, text=t) for i, t in enumerate(text.pages, start=1)],
            extraction_method=text.method,
        )
        doc = _document_document(body, created_at=now())
        event = encode(Topic.DOCUMENT_ADDED, body, source=SOURCE)
        if len(event.value) > MAX_EVENT_BYTES:
            raise DocumentTooLarge
        auto = auto_run_id(case_id)
        letter = doc_type is DocType.DENIAL_LETTER and case["auto_run"]
        # A later letter on the case (the payer's answer to an appeal) is read like the first, in a run of
        # its own that names it.
        later = letter and auto in case.get("run_ids", [])
        run_id = (new_id("run") if later else auto) if letter else None
        links = {"document_ids": document_id}
        run_events: list[EncodedEvent] = []
        async with self._admitted(run_id):
            if run_id is not None and not later:
                await self.repo.ensure_run(
                    _run_document(tenant_id, case_id, run_id, "auto", created_at=doc["created_at"])
                )
            await self.repo.insert_with_events(self.repo.documents, doc, [event])
            if run_id is not None and later:
                requested = RunRequested(
                    tenant_id=tenant_id,
                    case_id=case_id,
                    run_id=run_id,
                    requested_by="auto",
                    reason="letter",
                    document_id=document_id,
                )
                run_events = [encode(Topic.RUN_REQUESTED, requested, source=SOURCE)]
                run = _run_document(tenant_id, case_id, run_id, "auto", created_at=doc["created_at"])
                await self.repo.insert_with_events(self.repo.runs, run, run_events)
            if run_id is not None:
                links["run_ids"] = run_id
            await self.repo.link(tenant_id, case_id, links, doc["created_at"])
        self.document_outbox.flush_soon(document_id, [event])
        if run_id is not None:
            if run_events:
                self.run_outbox.flush_soon(run_id, run_events)
            self.progress.notify(tenant_id, case_id, run_id)
        return doc, run_id

    async def request_run(self, case: Document, requested_by: str) -> Document:
        """Start a run of `case` (read for its tenant)."""
        tenant_id, case_id = case["tenant_id"], case["_id"]
        if not await self.repo.has_denial_letter(tenant_id, case_id):
            raise Conflict("upload a denial letter before starting a run")
        run_id = new_id("run")
        body = RunRequested(
            tenant_id=tenant_id, case_id=case_id, run_id=run_id, requested_by=requested_by, reason="api"
        )
        run = _run_document(tenant_id, case_id, run_id, requested_by, created_at=now())
        events = [encode(Topic.RUN_REQUESTED, body, source=SOURCE)]
        async with self._admitted(run_id):
            await self.repo.insert_with_events(self.repo.runs, run, events)
            await self.repo.link(tenant_id, case_id, {"run_ids": run_id}, run["created_at"])
        self.run_outbox.flush_soon(run_id, events)
        queued = with_status(run)
        self.progress.notify(tenant_id, case_id, run_id, queued)
        return queued

    async def cancel_run(self, tenant_id: str, run_id: str, cancelled_by: str) -> Document:
        """Cancel a queued or running run: it is cancelled at once, and `run.cancelled` tells the pipeline.

        The status and the event are one write (the event in the run's outbox), decided on the run as read
        under its lock. Cancelling a cancelled run returns it unchanged, without a second event; a run that
        already finished is a Conflict.
        """
        at = now()
        events: list[EncodedEvent] = []

        def cancel(run: Document) -> tuple[Document, list[EncodedEvent]] | None:
            if run["status"] == "cancelled":
                return None
            if run["status"] in TERMINAL_STATUSES:
                raise Conflict(f"the task has already finished ({run['status']})")
            body = RunCancelled(
                tenant_id=tenant_id, case_id=run["case_id"], run_id=run_id, cancelled_by=cancelled_by, reason="api"
            )
            # One id per run: two cancels racing each other publish the same event, which consumers dedupe.
            event_id = deterministic_event_id(run_id, "cancel")
            event = encode(Topic.RUN_CANCELLED, body, source=SOURCE, event_id=event_id)
            fields = {"cancelled_at": at, "cancelled_by": cancelled_by, "updated_at": at, "finished_at": at}
            events.append(event)
            return fields, events

        changed = await self.repo.change_run(tenant_id, run_id, cancel)
        if changed is None:
            raise NotFound
        cancelled, wrote = changed
        if not wrote:
            return cancelled
        self.run_outbox.flush_soon(run_id, events)
        RUN_SECONDS.labels(status="cancelled").observe((at - cancelled["created_at"]).total_seconds())
        self.watcher.finished(run_id)
        self.admission.finished(run_id)
        self.progress.notify(tenant_id, cancelled["case_id"], run_id, cancelled)
        return cancelled

    @contextlib.asynccontextmanager
    async def _admitted(self, run_id: str | None) -> AsyncIterator[None]:
        """Count the run in for the block's writes (Overloaded when full); a failed write gives the slot back."""
        if run_id is None:
            yield
            return
        if not self.admission.try_admit(run_id):
            raise Overloaded
        try:
            yield
        except BaseException:
            self.admission.finished(run_id)
            raise

    async def wait_for_run(self, tenant_id: str, run_id: str, wait_seconds: float) -> Document | None:
        """The run once finished, or its current state after `wait_seconds`."""
        event = self.watcher.event(run_id)
        deadline = asyncio.get_running_loop().time() + wait_seconds
        try:
            while True:
                run = await self.repo.get_run(tenant_id, run_id)
                remaining = deadline - asyncio.get_running_loop().time()
                if run is None or run["status"] in TERMINAL_STATUSES or remaining <= 0:
                    return run
                # Another replica may own the partition: poll the database as well as waiting.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(remaining, 0.25))
        finally:
            self.watcher.forget(run_id)

    # -- projections of events from Kafka ------------------------------------------------------------
    # Intake owns the set of tenants: an event of an unknown tenant, or naming another tenant's case or
    # run, is refused (InvalidEvent sends it to the dead-letter topic), so it never enters the read model.
    # Each event is projected in one write where it can be (the README's "Intake's data" lists them).

    async def _known_tenant(self, body: EventBody) -> None:
        if not await self.tenants.exists(body.tenant_id):
            raise InvalidEvent("unknown_tenant", "the event's tenant is not registered")

    @staticmethod
    def _own(event: ReceivedEvent[EventBody]) -> bool:
        """Published by intake itself, from state it had already written (its outbox): nothing to project.

        The tenant is still checked, so a forged source gains nothing over the checks below."""
        return event.source == SOURCE

    async def on_case_created(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, CaseCreated)
        await self._known_tenant(body)
        if self._own(event):
            return
        # The run the case starts by itself is listed on it now, so its stage results need not link it.
        run_ids = [auto_run_id(body.case_id)] if body.auto_run else []
        try:
            await self.repo.project_case(_case_document(body, created_at=event.time), run_ids)
        except OwnedElsewhere as exc:
            raise InvalidEvent("tenant_mismatch", "the case belongs to another tenant") from exc

    async def on_document_added(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, DocumentAdded)
        await self._known_tenant(body)
        if self._own(event):
            return
        try:
            await self.repo.check_case_owner(body.tenant_id, body.case_id)
            await self.repo.project_document(_document_document(body, created_at=event.time))
        except OwnedElsewhere as exc:
            raise InvalidEvent("tenant_mismatch", "the case or document belongs to another tenant") from exc
        await self.repo.link(body.tenant_id, body.case_id, {"document_ids": body.document_id}, event.time)

    async def on_stage_completed(self, event: ReceivedEvent[EventBody]) -> None:
        body = event.body
        assert isinstance(body, StageCompleted)
        await self._record_stages([body])

    async def on_events(self, events: Sequence[ReceivedEvent[EventBody]]) -> int:
        """One case's consecutive events of a consumer batch (the consumer's group hook), recorded together
        where one write can hold them: a run's stage results side by side (the router publishes extract and
        route together, the llm-worker plan and documents) in one write of the run; an upstream
        `case.created` and its `document.added` (either order: `upstream_pair`) as one insert of the case
        already listing the document.
        Returns how many leading events it handled (0: each goes alone)."""
        pair = upstream_pair(events)
        if pair is not None and not (self._own(pair[0]) or self._own(pair[1])):
            await self._project_case_with_document(*pair)
            return 2
        stages = one_runs_stages([event.body for event in events])
        if len(stages) < 2:
            return 0
        await self._record_stages(stages)
        return len(stages)

    async def _project_case_with_document(
        self, created: ReceivedEvent[EventBody], added: ReceivedEvent[EventBody]
    ) -> None:
        """`on_case_created` then `on_document_added`, with the document listed by the case's insert."""
        case, document = created.body, added.body
        assert isinstance(case, CaseCreated)
        assert isinstance(document, DocumentAdded)
        await self._known_tenant(case)
        run_ids = [auto_run_id(case.case_id)] if case.auto_run else []
        try:
            listed = await self.repo.project_case(
                _case_document(case, created_at=created.time), run_ids, [document.document_id]
            )
            await self.repo.project_document(_document_document(document, created_at=added.time))
        except OwnedElsewhere as exc:
            raise InvalidEvent("tenant_mismatch", "the case or document belongs to another tenant") from exc
        if not listed:  # the case was there already (a redelivery, or an early document's link)
            await self.repo.link(
                document.tenant_id, document.case_id, {"document_ids": document.document_id}, added.time
            )

    async def _record_stages(self, bodies: Sequence[StageCompleted]) -> None:
        """Record stage results of one run (one, or several from one batch: `one_runs_stages`) in one write."""
        body = bodies[0]
        await self._known_tenant(body)
        received = now()
        results = [_stage_result(stage, received) for stage in bodies]
        try:
            if body.run_id != auto_run_id(body.case_id):
                # A run intake did not create is linked to its case below: the case must be the tenant's.
                await self.repo.check_case_owner(body.tenant_id, body.case_id)
            # Only the pipeline's confirmation of a cancel is recorded on a cancelled run: a result that comes
            # later (the stage was already under way) is not the run's, and neither are its artifacts.
            recorded = await self.repo.record_stages(
                body.tenant_id,
                body.case_id,
                body.run_id,
                results,
                unless_cancelled=body.status is not StageStatus.CANCELLED,
            )
        except OwnedElsewhere as exc:
            raise InvalidEvent("tenant_mismatch", "the run belongs to another case or tenant") from exc
        run = recorded.run
        if recorded.refused:
            self.progress.notify(body.tenant_id, body.case_id, body.run_id)
            return
        if recorded.before is None and body.run_id != auto_run_id(body.case_id):
            # A run intake did not create and that is not the case's own (listed with the case): list it.
            await self.repo.link(body.tenant_id, body.case_id, {"run_ids": body.run_id}, received)
        summaries = dict(result.summary for result in results if result.summary is not None)
        if summaries:
            await self._project(body, recorded.before, run["created_at"], summaries)
        before_status = status_of(recorded.before) if recorded.before is not None else "queued"
        if run["status"] in TERMINAL_STATUSES:
            if before_status not in TERMINAL_STATUSES:
                RUN_SECONDS.labels(status=run["status"]).observe((received - run["created_at"]).total_seconds())
            self.watcher.finished(body.run_id)
            self.admission.finished(body.run_id)
        self.progress.notify(body.tenant_id, body.case_id, body.run_id, run)

    async def _project(
        self, body: StageCompleted, before: Document | None, run_at: dt.datetime, summaries: dict[str, Document]
    ) -> None:
        """Project a run's facts and route onto its case's worklist item once both are in: at the second of
        the two stages (or at both, when they came together), after its result is recorded on the run (with
        its summary). A stage's summary came with its own stage write, so this is one write of the item; a
        redelivery projects again (the same write), so a crash between the two writes loses nothing."""
        before = before or {}
        projected = before.get("projection") or {}
        parts = {**projected, **summaries}
        if not {"facts", "route"} <= parts.keys():
            return
        update = project(parts["facts"], parts["route"], run_at, known_on=self.today())
        await self.repo.update_work_item(body.tenant_id, body.case_id, update)
        if body.run_id == auto_run_id(body.case_id) and not {"facts", "route"} <= projected.keys():
            DENIALS_RECEIVED.labels(route=str(parts["route"].get("route"))).inc()


def one_runs_stages(bodies: Sequence[EventBody]) -> list[StageCompleted]:
    """The leading stage results of one run (same tenant, case and run, each stage once) that one write may
    record together; a cancel's confirmation is recorded alone (a cancelled run refuses other results)."""
    found: list[StageCompleted] = []
    for body in bodies:
        if not isinstance(body, StageCompleted) or body.status is StageStatus.CANCELLED:
            break
        if found and (
            (body.tenant_id, body.case_id, body.run_id) != (found[0].tenant_id, found[0].case_id, found[0].run_id)
            or body.stage in {stage.stage for stage in found}
        ):
            break
        found.append(body)
    return found


def _stage_result(body: StageCompleted, received: dt.datetime) -> StageResult:
    stage_seconds = (body.finished_at - body.started_at).total_seconds()
    STAGE_SECONDS.labels(stage=body.stage.value, status=body.status.value).observe(stage_seconds)
    return StageResult(
        stage=body.stage.value,
        doc={
            "status": body.status.value,
            "attempt": body.attempt,
            "started_at": body.started_at,
            "finished_at": body.finished_at,
            "duration_ms": round(stage_seconds * 1000, 3),
            "artifacts": [a.name for a in body.artifacts],
            "error": body.error.model_dump() if body.error else None,
        },
        artifacts=[
            {"name": a.name, "media_type": a.media_type, "sha256": a.sha256, "content": a.content}
            for a in body.artifacts
        ],
        received=received,
        summary=_summary(body),
        finishes=finishes_run(body.stage.value, body.status),
    )


def _summary(body: StageCompleted) -> tuple[str, Document] | None:
    """What the worklist needs of a stage's artifacts (`facts` or `route`), stored with the stage's result."""
    if body.status is not StageStatus.SUCCEEDED:
        return None
    contents = {a.name: a.content for a in body.artifacts}
    if body.stage is Stage.EXTRACT and "case_facts.json" in contents:
        return "facts", facts_summary(contents["case_facts.json"])
    if body.stage is Stage.ROUTE and "route.json" in contents:
        return "route", route_summary(contents["route.json"], contents.get("deadlines.json"))
    return None


def _case_document(body: CaseCreated, created_at: dt.datetime) -> Document:
    return {
        "_id": body.case_id,
        "tenant_id": body.tenant_id,
        "mode": body.mode.value,
        "auto_run": body.auto_run,
        "source": body.source,
        "user_context": body.user_context,
        "created_at": created_at,
    }


def _document_document(body: DocumentAdded, created_at: dt.datetime) -> Document:
    return {
        "_id": body.document_id,
        "tenant_id": body.tenant_id,
        "case_id": body.case_id,
        "doc_type": body.doc_type.value,
        "media_type": body.media_type,
        "sha256": body.sha256,
        "page_count": len(body.pages),
        "pages": [p.model_dump() for p in body.pages],
        "extraction_method": body.extraction_method,
        "created_at": created_at,
    }


def _run_document(tenant_id: str, case_id: str, run_id: str, requested_by: str, created_at: dt.datetime) -> Document:
    return {
        "_id": run_id,
        "tenant_id": tenant_id,
        "case_id": case_id,
        "requested_by": requested_by,
        "stages": {},
        "created_at": created_at,
        "updated_at": created_at,
    }
