"""Router and llm-worker handlers on the real database and broker: any order, any number of times."""

from __future__ import annotations

import datetime as dt

import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase

from denialops_llm_worker.handlers import Generator
from denialops_llm_worker.repository import MongoGeneratorRepository
from denialops_router.handlers import Router
from denialops_router.pipeline import RunInput, RunOutcome, run_stages
from denialops_router.repository import MongoRouterRepository
from denialops_shared.contracts.artifacts import ActionPlan, Deadlines
from denialops_shared.contracts.cloudevents import InvalidEvent
from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    Mode,
    Page,
    RunCancelled,
    RunRequested,
    Stage,
    StageCompleted,
    auto_run_id,
)
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox
from denialops_shared.settings import ServiceSettings
from tests.infra import ROOT
from tests.integration.support import received
from tests.kafka_helpers import collect, headers_of

pytestmark = pytest.mark.integration

LETTER = (ROOT / "data" / "samples" / "letters" / "004.txt").read_text(encoding="utf-8")


def letter(case_id: str, tenant: str = "it") -> DocumentAdded:
    return DocumentAdded(
        tenant_id=tenant,
        case_id=case_id,
        document_id=f"doc-{case_id}",
        doc_type=DocType.DENIAL_LETTER,
        media_type="text/plain",
        sha256="a" * 64,
        pages=[Page(number=1, text=LETTER)],
        extraction_method="text",
    )


async def stage_events(settings: ServiceSettings, case_id: str, source: str, count: int) -> list[str]:
    """The stages `source` published for the case (a running stack may publish more for it)."""
    records = await collect(
        settings.kafka_bootstrap_servers,
        Topic.STAGE_COMPLETED.value,
        lambda r: headers_of(r)["ce_subject"] == case_id and headers_of(r)["ce_source"] == source,
        count,
        wait_seconds=10,
    )
    return sorted(StageCompleted.model_validate_json(r.value).stage.value for r in records)


async def test_router_runs_a_case_once_whatever_the_order(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    router = Router(MongoRouterRepository(db), Outbox(db.runs, broker, 1.0))
    await MongoRouterRepository(db).create_indexes()
    case_id = f"case-{unique}"
    document = received(Topic.DOCUMENT_ADDED, letter(case_id))
    created = received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id))

    await router.on_document_added(document)
    assert await db.runs.count_documents({}) == 0, "no run before the case is known"
    await router.on_case_created(created)
    await router.on_case_created(created)
    await router.on_document_added(document)

    assert await stage_events(settings, case_id, "/denialops/router", 3) == ["extract", "route"]
    runs = await db.runs.find({}).to_list()
    assert [(r["_id"], r["status"], r["outbox"]) for r in runs] == [(auto_run_id(case_id), "done", [])]


async def test_router_waits_for_the_letter_of_a_requested_run(
    db: AsyncDatabase[Document], broker: KafkaBroker, unique: str
) -> None:
    router = Router(MongoRouterRepository(db), Outbox(db.runs, broker, 1.0))
    case_id = f"case-{unique}"
    await router.on_case_created(
        received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id, auto_run=False))
    )
    await router.on_run_requested(
        received(Topic.RUN_REQUESTED, RunRequested(tenant_id="it", case_id=case_id, run_id="run-1", requested_by="t"))
    )
    assert await db.runs.find_one({"_id": "run-1"}) is None, "no run before its letter arrives"
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, letter(case_id)))
    assert (await db.runs.find_one({"_id": "run-1"}) or {})["status"] == "done"
    assert await db.runs.count_documents({}) == 1, "auto_run=False starts no run of its own"


async def test_router_refuses_another_tenants_event_for_a_case(
    db: AsyncDatabase[Document], broker: KafkaBroker, unique: str
) -> None:
    router = Router(MongoRouterRepository(db), Outbox(db.runs, broker, 1.0))
    case_id = f"case-{unique}"
    await router.on_case_created(received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id)))
    with pytest.raises(InvalidEvent) as refused:
        await router.on_document_added(received(Topic.DOCUMENT_ADDED, letter(case_id, tenant="intruder")))
    assert refused.value.code == "tenant_mismatch"
    assert await db.documents.count_documents({}) == 0


async def test_llm_worker_generates_once_from_stages_in_any_order(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    generator = Generator(
        MongoGeneratorRepository(db), Outbox(db.outcomes, broker, 1.0), today=lambda: dt.date(2025, 1, 15)
    )
    case_id = f"case-{unique}"
    extract, route = run_stages(RunInput(tenant_id="it", case_id=case_id, run_id="run-g", letter_pages=[LETTER])).stages

    await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, route))
    assert await db.outcomes.find_one({"_id": "run-g"}) is None, "waiting for the extract stage"
    await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, extract))
    await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, extract))
    await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, route))
    # Cancelling a finished run changes nothing.
    await generator.on_run_cancelled(
        received(Topic.RUN_CANCELLED, RunCancelled(tenant_id="it", case_id=case_id, run_id="run-g", cancelled_by="t"))
    )

    assert await stage_events(settings, case_id, "/denialops/llm-worker", 3) == ["documents", "plan"]
    outcome = await db.outcomes.find_one({"_id": "run-g"})
    assert outcome is not None
    assert outcome["status"] == "generated"


async def test_llm_worker_plans_from_the_routes_deadlines(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    """deadlines.json travels with route.json; the plan's timeline is the engine's next dated level."""
    generator = Generator(
        MongoGeneratorRepository(db), Outbox(db.outcomes, broker, 1.0), today=lambda: dt.date(2025, 1, 15)
    )
    case_id = f"case-{unique}"
    stages = run_stages(RunInput(tenant_id="it", case_id=case_id, run_id=f"run-{unique}", letter_pages=[LETTER])).stages
    for stage in stages:
        await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))
    route = next(stage for stage in stages if stage.stage is Stage.ROUTE)
    deadlines = Deadlines.model_validate_json(next(a.content for a in route.artifacts if a.name == "deadlines.json"))
    dated = next(level for level in deadlines.levels if level.filing.due is not None)

    records = await collect(
        settings.kafka_bootstrap_servers,
        Topic.STAGE_COMPLETED.value,
        lambda r: headers_of(r)["ce_subject"] == case_id and headers_of(r)["ce_source"] == "/denialops/llm-worker",
        2,
        wait_seconds=10,
    )
    artifacts = {a.name: a.content for r in records for a in StageCompleted.model_validate_json(r.value).artifacts}
    plan = ActionPlan.model_validate_json(artifacts["action_plan.json"])
    assert (plan.timeline.appeal_deadline, plan.timeline.level) == (dated.filing.due, dated.level)
    assert plan.timeline.regime is deadlines.regime
    assert "## Deadlines by level" in artifacts["action_plan.md"]


async def test_llm_worker_refuses_a_cancel_naming_another_tenants_run(
    db: AsyncDatabase[Document], broker: KafkaBroker, unique: str
) -> None:
    generator = Generator(
        MongoGeneratorRepository(db), Outbox(db.outcomes, broker, 1.0), today=lambda: dt.date(2025, 1, 15)
    )
    case_id = f"case-{unique}"
    extract, _route = run_stages(
        RunInput(tenant_id="it", case_id=case_id, run_id="run-t", letter_pages=[LETTER])
    ).stages
    await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, extract))
    forged = RunCancelled(tenant_id="intruder", case_id=case_id, run_id="run-t", cancelled_by="x")
    with pytest.raises(InvalidEvent) as refused:
        await generator.on_run_cancelled(received(Topic.RUN_CANCELLED, forged))
    assert refused.value.code == "tenant_mismatch"
    assert await db.outcomes.find_one({"_id": "run-t"}) is None, "the run was not cancelled"


async def test_llm_worker_skips_a_run_cancelled_before_generation(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    generator = Generator(
        MongoGeneratorRepository(db), Outbox(db.outcomes, broker, 1.0), today=lambda: dt.date(2025, 1, 15)
    )
    case_id = f"case-{unique}"
    await generator.on_run_cancelled(
        received(Topic.RUN_CANCELLED, RunCancelled(tenant_id="it", case_id=case_id, run_id="run-c", cancelled_by="t"))
    )
    for stage in run_stages(RunInput(tenant_id="it", case_id=case_id, run_id="run-c", letter_pages=[LETTER])).stages:
        await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))
    outcome = await db.outcomes.find_one({"_id": "run-c"})
    assert outcome is not None
    assert outcome["status"] == "cancelled"
    records = await collect(
        settings.kafka_bootstrap_servers,
        Topic.STAGE_COMPLETED.value,
        lambda r: headers_of(r)["ce_subject"] == case_id and headers_of(r)["ce_source"] == "/denialops/llm-worker",
        2,
        wait_seconds=5,
    )
    assert [StageCompleted.model_validate_json(r.value).status.value for r in records] == ["cancelled"]


async def test_router_reads_the_eob_and_in_verified_mode_the_plan(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    router = Router(MongoRouterRepository(db), Outbox(db.runs, broker, 1.0))
    case_id = f"case-{unique}"
    plan_text = (ROOT / "tests" / "unit" / "router" / "fixtures" / "sbc_bluepine.txt").read_text(encoding="utf-8")
    eob_text = (ROOT / "data" / "samples" / "letters" / "007.txt").read_text(encoding="utf-8")
    for doc_type, text in ((DocType.EOB, eob_text), (DocType.SBC, plan_text)):
        extra = letter(case_id).model_copy(
            update={"document_id": f"doc-{doc_type.value}", "doc_type": doc_type, "pages": [Page(number=1, text=text)]}
        )
        await router.on_document_added(received(Topic.DOCUMENT_ADDED, extra))
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, letter(case_id)))
    await router.on_case_created(
        received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id, mode=Mode.VERIFIED))
    )
    records = await collect(
        settings.kafka_bootstrap_servers,
        Topic.STAGE_COMPLETED.value,
        lambda r: headers_of(r)["ce_subject"] == case_id and headers_of(r)["ce_source"] == "/denialops/router",
        2,
        wait_seconds=10,
    )
    extract = next(
        s for s in map(StageCompleted.model_validate_json, (r.value for r in records)) if s.stage == "extract"
    )
    assert {a.name for a in extract.artifacts} == {"case_facts.json", "eob_facts.json", "plan_rules.json"}


async def router_stages(settings: ServiceSettings, case_id: str, count: int) -> list[StageCompleted]:
    records = await collect(
        settings.kafka_bootstrap_servers,
        Topic.STAGE_COMPLETED.value,
        lambda r: headers_of(r)["ce_subject"] == case_id and headers_of(r)["ce_source"] == "/denialops/router",
        count,
        wait_seconds=10,
    )
    return [StageCompleted.model_validate_json(r.value) for r in records]


async def test_a_run_cancelled_before_it_starts_never_starts_and_says_so(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    router = Router(MongoRouterRepository(db), Outbox(db.runs, broker, 1.0))
    case_id = f"case-{unique}"
    run_id = auto_run_id(case_id)
    await router.on_run_cancelled(
        received(Topic.RUN_CANCELLED, RunCancelled(tenant_id="it", case_id=case_id, run_id=run_id, cancelled_by="t"))
    )
    await router.on_case_created(received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id)))
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, letter(case_id)))
    run = await db.runs.find_one({"_id": run_id})
    assert run is not None
    assert run["status"] == "cancelled"
    stages = await router_stages(settings, case_id, 2)
    assert [(s.stage.value, s.status.value) for s in stages] == [("extract", "cancelled")]


def _failures(stage: str, error_class: str) -> float:
    value = REGISTRY.get_sample_value(
        "denialops_router_stage_failures_total", {"stage": stage, "error_class": error_class}
    )
    return value or 0.0


def _bug(*_: object, **__: object) -> None:
    raise LookupError(f"a parser bug quoting the letter: {LETTER[:80]} /srv/secret/path")


@pytest.mark.parametrize(
    ("patched", "published"),
    [
        ("extract_case_facts", [("extract", "failed")]),
        ("decide_route", [("extract", "succeeded"), ("route", "failed")]),
    ],
)
async def test_a_bug_in_a_stage_fails_that_stage_counted_and_logged_without_phi(
    db: AsyncDatabase[Document],
    broker: KafkaBroker,
    settings: ServiceSettings,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    patched: str,
    published: list[tuple[str, str]],
) -> None:
    monkeypatch.setattr(f"denialops_router.pipeline.{patched}", _bug)
    failed_stage = published[-1][0]
    before = _failures(failed_stage, "LookupError")
    router = Router(MongoRouterRepository(db), Outbox(db.runs, broker, 1.0))
    case_id = f"case-{unique}"
    await router.on_case_created(received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id)))
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, letter(case_id)))
    # A redelivery finds the run done: it is neither run nor counted again.
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, letter(case_id)))

    stages = await router_stages(settings, case_id, len(published) + 1)
    assert [(s.stage.value, s.status.value) for s in stages] == published
    error = stages[-1].error
    assert error is not None
    assert error.code == f"{'extraction' if failed_stage == 'extract' else 'routing'}_failed"
    assert "secret" not in error.message
    assert _failures(failed_stage, "LookupError") == before + 1
    [record] = [r for r in caplog.records if r.getMessage() == "router.stage.failed"]
    assert (record.stage, record.error_class, record.run_id) == (failed_stage, "LookupError", auto_run_id(case_id))  # type: ignore[attr-defined]
    logged = " ".join(f"{v}" for v in vars(record).values())
    assert LETTER[:40] not in logged
    assert "secret" not in logged


async def test_a_run_whose_step_cannot_complete_fails_with_a_safe_error(
    db: AsyncDatabase[Document],
    broker: KafkaBroker,
    settings: ServiceSettings,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside the stages (e.g. a result the process pool cannot send back): still a failed run, not a retry."""

    def broken(_: object) -> RunOutcome:
        raise ValueError("a pool error, with internals: /srv/secret/path")

    monkeypatch.setattr("denialops_router.handlers.run_stages", broken)
    before = _failures("extract", "ValueError")
    router = Router(MongoRouterRepository(db), Outbox(db.runs, broker, 1.0))
    case_id = f"case-{unique}"
    await router.on_case_created(received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id)))
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, letter(case_id)))
    stages = await router_stages(settings, case_id, 2)
    assert [(s.stage.value, s.status.value) for s in stages] == [("extract", "failed")]
    error = stages[0].error
    assert error is not None
    assert error.code == "extraction_failed"
    assert "secret" not in error.message
    assert _failures("extract", "ValueError") == before + 1
