"""Intake's Kafka use cases over the in-memory repository: any order, any number of times, one write each.

The same behaviour on the real database and broker: tests/integration/test_intake_*.py.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from denialops_intake.handlers import SOURCE, Conflict
from denialops_router.pipeline import RunInput, run_stages
from denialops_shared.contracts.cloudevents import InvalidEvent, ReceivedEvent, decode, encode
from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    EventBody,
    Page,
    Stage,
    StageCompleted,
    StageStatus,
    auto_run_id,
    make_artifact,
)
from denialops_shared.contracts.topics import Topic
from tests.infra import ROOT
from tests.unit.intake.fake_repository import FakeRepository, fake_intake

LETTER = (ROOT / "data" / "samples" / "letters" / "004.txt").read_text(encoding="utf-8")
CASE = "case-1"
RUN = auto_run_id(CASE)


def received(topic: Topic, body: EventBody, source: str = "/upstream") -> ReceivedEvent[EventBody]:
    event = encode(topic, body, source=source)
    return decode(topic, event.headers, event.value)


def created(tenant: str = "acme", auto_run: bool = True) -> ReceivedEvent[EventBody]:
    return received(Topic.CASE_CREATED, CaseCreated(tenant_id=tenant, case_id=CASE, auto_run=auto_run))


def document(tenant: str = "acme", document_id: str = "doc-1") -> ReceivedEvent[EventBody]:
    body = DocumentAdded(
        tenant_id=tenant,
        case_id=CASE,
        document_id=document_id,
        doc_type=DocType.DENIAL_LETTER,
        media_type="text/plain",
        sha256="a" * 64,
        pages=[Page(number=1, text=LETTER)],
        extraction_method="text",
    )
    return received(Topic.DOCUMENT_ADDED, body)


def later(stage: Stage, status: StageStatus = StageStatus.SUCCEEDED, run_id: str = RUN) -> StageCompleted:
    at = dt.datetime(2025, 1, 15, tzinfo=dt.UTC)
    artifacts = [make_artifact(f"{stage.value}_out.md", "# out")] if status is StageStatus.SUCCEEDED else []
    return StageCompleted(
        tenant_id="acme",
        case_id=CASE,
        run_id=run_id,
        stage=stage,
        status=status,
        started_at=at,
        finished_at=at,
        artifacts=artifacts,
    )


def pipeline(run_id: str = RUN) -> list[ReceivedEvent[EventBody]]:
    extract, route = run_stages(RunInput(tenant_id="acme", case_id=CASE, run_id=run_id, letter_pages=[LETTER])).stages
    stages = [extract, route, later(Stage.PLAN, run_id=run_id), later(Stage.DOCUMENTS, run_id=run_id)]
    return [received(Topic.STAGE_COMPLETED, s) for s in stages]


async def test_an_upstream_case_is_one_write_per_event_and_ends_succeeded_on_its_worklist() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    await intake.on_case_created(created())
    await intake.on_document_added(document())
    for event in pipeline():
        await intake.on_stage_completed(event)

    assert dict(repo.writes) == {"cases": 2, "documents": 1, "runs": 4, "work_items_acme": 1}
    case = await repo.get_case("acme", CASE)
    assert case is not None
    assert (case["document_ids"], case["run_ids"]) == (["doc-1"], [RUN])
    run = await repo.get_run("acme", RUN)
    assert run is not None
    assert run["status"] == "succeeded"
    assert run["finished_at"] is not None
    names = {a["name"] for a in await repo.run_artifacts("acme", RUN, with_content=False)}
    assert {"case_facts.json", "route.json", "plan_out.md", "documents_out.md"} <= names
    assert repo.work_items[("acme", CASE)].get("route")


async def test_a_redelivered_case_changes_nothing_and_keeps_the_time_it_finished() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    events = pipeline()
    finished: list[dt.datetime] = []
    for _ in range(2):
        await intake.on_case_created(created())
        await intake.on_document_added(document())
        for event in events:
            await intake.on_stage_completed(event)
        finished.append((await repo.get_run("acme", RUN) or {})["finished_at"])
    assert finished[0] == finished[1], "the redelivered final stage kept the first time"
    run = await repo.get_run("acme", RUN)
    assert run is not None
    assert run["status"] == "succeeded"
    case = await repo.get_case("acme", CASE)
    assert case is not None
    assert (case["document_ids"], case["run_ids"]) == (["doc-1"], [RUN])


async def test_out_of_order_the_case_comes_together_and_the_worklist_waits_for_both_summaries() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    extract, route, plan, documents = pipeline()
    await intake.on_stage_completed(route)
    assert repo.work_items == {}, "the route alone projects nothing"
    await intake.on_document_added(document())
    await intake.on_stage_completed(extract)
    assert repo.work_items[("acme", CASE)].get("route"), "the second summary projects the item"
    await intake.on_stage_completed(documents)
    await intake.on_stage_completed(plan)
    await intake.on_case_created(created())
    case = await repo.get_case("acme", CASE)
    assert case is not None
    assert (case["mode"], case["document_ids"], case["run_ids"]) == ("fast", ["doc-1"], [RUN])
    assert (await repo.get_run("acme", RUN) or {})["status"] == "succeeded"


async def test_a_run_intake_did_not_create_is_listed_on_its_case_once() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    await intake.on_case_created(created(auto_run=False))
    for _ in range(2):
        await intake.on_stage_completed(received(Topic.STAGE_COMPLETED, later(Stage.PLAN, run_id="run-other")))
    case = await repo.get_case("acme", CASE)
    assert case is not None
    assert case["run_ids"] == ["run-other"]


async def test_a_cancelled_run_refuses_later_results_but_records_the_pipelines_confirmation() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    await intake.on_case_created(created())
    extract, route, _plan, documents = pipeline()
    await intake.on_stage_completed(extract)
    cancelled = await intake.cancel_run("acme", RUN, cancelled_by="api")
    assert cancelled["status"] == "cancelled"
    assert (await intake.cancel_run("acme", RUN, cancelled_by="api"))["cancelled_at"] == cancelled["cancelled_at"]
    await intake.on_stage_completed(route)
    await intake.on_stage_completed(documents)
    await intake.on_stage_completed(received(Topic.STAGE_COMPLETED, later(Stage.PLAN, StageStatus.CANCELLED)))

    run = await repo.get_run("acme", RUN)
    assert run is not None
    assert run["status"] == "cancelled"
    assert {name: s["status"] for name, s in run["stages"].items()} == {"extract": "succeeded", "plan": "cancelled"}
    assert repo.work_items == {}, "a refused route projects nothing"
    assert {a["name"] for a in await repo.run_artifacts("acme", RUN, with_content=False)} <= {
        "case_facts.json",
        "eob_facts.json",
        "plan_rules.json",
    }


async def test_a_finished_run_cannot_be_cancelled() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    for event in pipeline():
        await intake.on_stage_completed(event)
    with pytest.raises(Conflict):
        await intake.cancel_run("acme", RUN, cancelled_by="api")
    assert (await repo.get_run("acme", RUN) or {})["status"] == "succeeded"


@pytest.mark.parametrize("event", ["case", "document", "stage"])
async def test_another_tenants_case_or_run_is_refused_and_left_alone(event: str) -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme", "globex")
    await intake.on_case_created(created())
    extract = pipeline()[0]
    await intake.on_stage_completed(extract)
    before = (dict(repo.cases), dict(repo.runs))
    forged = {
        "case": created(tenant="globex"),
        "document": document(tenant="globex", document_id="doc-g"),
        "stage": received(Topic.STAGE_COMPLETED, later(Stage.PLAN).model_copy(update={"tenant_id": "globex"})),
    }[event]
    handler = {
        "case": intake.on_case_created,
        "document": intake.on_document_added,
        "stage": intake.on_stage_completed,
    }[event]
    with pytest.raises(InvalidEvent) as refused:
        await handler(forged)
    assert refused.value.code == "tenant_mismatch"
    assert (dict(repo.cases), dict(repo.runs)) == before


async def test_an_unknown_tenant_is_refused_even_under_intakes_own_source() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    ghost = CaseCreated(tenant_id="ghost", case_id=CASE)
    with pytest.raises(InvalidEvent) as refused:
        await intake.on_case_created(received(Topic.CASE_CREATED, ghost, source=SOURCE))
    assert refused.value.code == "unknown_tenant"
    await intake.on_case_created(received(Topic.CASE_CREATED, CaseCreated(tenant_id="acme", case_id=CASE), SOURCE))
    assert repo.cases == {}, "intake wrote its own case before publishing it"


# -- events of one case in one consumer batch (the consumer's group hook) -------------------------------


@pytest.mark.parametrize("document_first", [False, True], ids=["case-first", "document-first"])
async def test_a_case_whose_events_come_together_is_written_in_fewer_writes_and_ends_the_same(
    document_first: bool,
) -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    extract, route, plan, documents = pipeline()
    # Two topics: the batch holds them in whichever order the broker returned the partitions.
    upstream = [document(), created()] if document_first else [created(), document()]
    assert await intake.on_events([*upstream, extract]) == 2
    assert dict(repo.writes) == {"cases": 1, "documents": 1}, "the case's insert lists its document"
    assert await intake.on_events([extract, route, plan]) == 3, "one run's stages side by side"
    assert await intake.on_events([documents, documents]) == 0, "a stage twice is not merged"
    await intake.on_stage_completed(documents)

    assert dict(repo.writes) == {"cases": 1, "documents": 1, "runs": 2, "work_items_acme": 1}
    case = await repo.get_case("acme", CASE)
    assert case is not None
    assert (case["document_ids"], case["run_ids"]) == (["doc-1"], [RUN])
    run = await repo.get_run("acme", RUN)
    assert run is not None
    assert run["status"] == "succeeded"
    assert sorted(run["projection"]) == ["facts", "route"]
    names = {a["name"] for a in await repo.run_artifacts("acme", RUN, with_content=False)}
    assert {"case_facts.json", "route.json", "plan_out.md", "documents_out.md"} <= names
    assert repo.work_items[("acme", CASE)].get("route"), "both summaries in one write project the item"


async def test_a_grouped_case_redelivered_one_by_one_changes_nothing() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    events = pipeline()
    await intake.on_events([created(), document()])
    await intake.on_events(events[:2])
    await intake.on_events(events[2:])

    def state() -> Any:
        run = repo.runs[RUN]
        kept = (run["stages"], run["outputs"], run["projection"], run["finished_at"], run["created_at"])
        return copy.deepcopy((repo.cases, kept, repo.work_items))

    grouped = state()
    await intake.on_case_created(created())
    await intake.on_document_added(document())
    for event in events:
        await intake.on_stage_completed(event)
    assert state() == grouped


async def test_a_document_grouped_with_its_case_after_an_early_document_is_linked() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    await intake.on_document_added(document(document_id="doc-0"))  # created the case's document by its link
    assert await intake.on_events([created(), document()]) == 2
    case = await repo.get_case("acme", CASE)
    assert case is not None
    assert (case["mode"], case["document_ids"], case["run_ids"]) == ("fast", ["doc-0", "doc-1"], [RUN])


async def test_grouped_stages_of_a_cancelled_run_are_refused_together() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme")
    await intake.on_case_created(created())
    extract, route, plan, documents = pipeline()
    await intake.on_stage_completed(extract)
    await intake.cancel_run("acme", RUN, cancelled_by="api")
    assert await intake.on_events([route, plan, documents]) == 3
    run = await repo.get_run("acme", RUN)
    assert run is not None
    assert run["status"] == "cancelled"
    assert list(run["stages"]) == ["extract"]
    assert repo.work_items == {}


async def test_a_cancels_confirmation_is_not_merged_with_other_results() -> None:
    intake = fake_intake(FakeRepository(), "acme")
    extract, route, _, _ = pipeline()
    confirmation = received(Topic.STAGE_COMPLETED, later(Stage.PLAN, StageStatus.CANCELLED))
    assert await intake.on_events([confirmation, extract]) == 0
    assert await intake.on_events([extract, route, confirmation]) == 2, "the stages before it are"


async def test_events_of_other_tenants_runs_or_intakes_own_source_are_not_merged() -> None:
    intake = fake_intake(FakeRepository(), "acme", "globex")
    extract = pipeline()[0]
    other_run = received(Topic.STAGE_COMPLETED, later(Stage.PLAN, run_id="run-other"))
    other_tenant = received(Topic.STAGE_COMPLETED, later(Stage.PLAN).model_copy(update={"tenant_id": "globex"}))
    own_case = received(Topic.CASE_CREATED, CaseCreated(tenant_id="acme", case_id=CASE), SOURCE)
    for events in (
        [extract, other_run],
        [extract, other_tenant],
        [created(), document(tenant="globex")],
        [own_case, document()],
        [document(), own_case],
        [document(tenant="globex"), created()],
    ):
        assert await intake.on_events(events) == 0


async def test_a_grouped_case_of_another_tenant_is_refused_and_left_alone() -> None:
    repo = FakeRepository()
    intake = fake_intake(repo, "acme", "globex")
    await intake.on_case_created(created())
    before = dict(repo.cases)
    with pytest.raises(InvalidEvent) as refused:
        await intake.on_events([created(tenant="globex"), document(tenant="globex", document_id="doc-g")])
    assert refused.value.code == "tenant_mismatch"
    assert repo.cases == before
    assert repo.documents == {}
