"""How many database commands intake spends on one case, on the real database (pymongo command monitoring).

The Kafka path is what the benchmark's ingress measures: upstream publishes case.created and
document.added, the pipeline reports four stages, intake projects each (eight commands), or, when they
come in consumer batches as they are published, two events at a time (five). The bound is a count (the
README's "Intake's data" lists each write and why it is needed), so a design change that adds a read or
a write per case fails here, whatever the machine's speed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_intake.handlers import Intake
from denialops_router.pipeline import RunInput, run_stages
from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    Page,
    Stage,
    StageCompleted,
    StageStatus,
    auto_run_id,
    make_artifact,
)
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from tests.infra import ROOT
from tests.integration.intake_api import api_for
from tests.integration.support import CLEAR_OUTBOX, CommandCounter, make_intake, received

pytestmark = pytest.mark.integration

LETTER = (ROOT / "data" / "samples" / "letters" / "004.txt").read_text(encoding="utf-8")
# insert cases, insert documents, link the document (update cases), insert the run with its first stage,
# one findAndModify per later stage (3), the worklist item (update work_items_acme).
KAFKA_PATH_COMMANDS = 8


def letter_added(case_id: str, unique: str) -> DocumentAdded:
    """Upstream's denial letter of the case, as its document.added says."""
    return DocumentAdded(
        tenant_id="acme",
        case_id=case_id,
        document_id=f"doc-{unique}",
        doc_type=DocType.DENIAL_LETTER,
        media_type="text/plain",
        sha256="a" * 64,
        pages=[Page(number=1, text=LETTER)],
        extraction_method="text",
    )


async def assert_whole_case(
    intake: Intake, db: AsyncDatabase[Document], case_id: str, run_id: str, unique: str
) -> None:
    """What was written is the whole case: its document, its run with every artifact, its worklist item."""
    assert [r["_id"] for r in await intake.repo.case_runs("acme", case_id)] == [run_id]
    assert [d["_id"] for d in await intake.repo.case_documents("acme", case_id)] == [f"doc-{unique}"]
    names = {a["name"] for a in await intake.repo.run_artifacts("acme", run_id, with_content=False)}
    assert {"case_facts.json", "route.json", "action_plan.md", "call_script.md"} <= names
    item = await db["work_items_acme"].find_one({"_id": case_id})
    assert item is not None
    assert item.get("route"), "the worklist item was projected"


def later_stages(case_id: str, run_id: str) -> list[StageCompleted]:
    at = dt.datetime.now(dt.UTC)
    names = {
        Stage.PLAN: ("action_plan.json", "action_plan.md"),
        Stage.DOCUMENTS: ("appeal_letter.md", "call_script.md"),
    }
    return [
        StageCompleted(
            tenant_id="acme",
            case_id=case_id,
            run_id=run_id,
            stage=stage,
            status=StageStatus.SUCCEEDED,
            started_at=at,
            finished_at=at,
            artifacts=[make_artifact(name, "{}") for name in artifacts],
        )
        for stage, artifacts in names.items()
    ]


async def test_one_upstream_case_costs_intake_eight_commands_and_no_read(
    db: AsyncDatabase[Document],
    counted: tuple[AsyncDatabase[Document], CommandCounter],
    broker: KafkaBroker,
    unique: str,
) -> None:
    counted_db, commands = counted
    intake = make_intake(counted_db, broker)
    await intake.tenants.ensure_tenant("acme")
    assert await intake.tenants.exists("acme")  # known to the process from now on, as in a running service
    case_id = f"case-{unique}"
    run_id = auto_run_id(case_id)
    document = letter_added(case_id, unique)
    stages = [
        *run_stages(RunInput(tenant_id="acme", case_id=case_id, run_id=run_id, letter_pages=[LETTER])).stages,
        *later_stages(case_id, run_id),
    ]
    assert [s.stage for s in stages] == [Stage.EXTRACT, Stage.ROUTE, Stage.PLAN, Stage.DOCUMENTS]
    commands.seen.clear()

    await intake.on_case_created(received(Topic.CASE_CREATED, CaseCreated(tenant_id="acme", case_id=case_id)))
    await intake.on_document_added(received(Topic.DOCUMENT_ADDED, document))
    for stage in stages:
        await intake.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))

    seen = dict(commands.seen)
    assert seen == {
        ("insert", "cases"): 1,
        ("insert", "documents"): 1,
        ("update", "cases"): 1,
        ("insert", "runs"): 1,
        ("findAndModify", "runs"): 3,
        ("update", "work_items_acme"): 1,
    }, seen
    assert sum(seen.values()) == KAFKA_PATH_COMMANDS
    assert not any(command == "find" for command, _ in seen), "no read on the way"

    # What was written is the whole case: its document, its run (succeeded, with every artifact), its item.
    task = await intake.repo.get_run("acme", run_id)
    assert task is not None
    assert task["status"] == "succeeded"
    await assert_whole_case(intake, db, case_id, run_id, unique)


# What the consumer's group hook is given when the events come in batches as they are published: upstream's
# case.created and document.added, the router's extract and route, the llm-worker's plan and documents.
# Insert cases (listing the document), insert documents, insert the run with extract and route, one
# findAndModify with plan and documents, the worklist item.
KAFKA_PATH_COMMANDS_IN_BATCHES = 5


@pytest.mark.parametrize("document_first", [False, True], ids=["case-first", "document-first"])
async def test_a_case_whose_events_come_in_batches_costs_intake_five_commands_and_no_read(
    document_first: bool,
    db: AsyncDatabase[Document],
    counted: tuple[AsyncDatabase[Document], CommandCounter],
    broker: KafkaBroker,
    unique: str,
) -> None:
    counted_db, commands = counted
    intake = make_intake(counted_db, broker)
    await intake.tenants.ensure_tenant("acme")
    assert await intake.tenants.exists("acme")
    case_id = f"case-{unique}"
    run_id = auto_run_id(case_id)
    document = letter_added(case_id, unique)
    extract, route = run_stages(
        RunInput(tenant_id="acme", case_id=case_id, run_id=run_id, letter_pages=[LETTER])
    ).stages
    plan, documents = later_stages(case_id, run_id)
    commands.seen.clear()

    created = received(Topic.CASE_CREATED, CaseCreated(tenant_id="acme", case_id=case_id))
    # Two topics: the batch holds them in whichever order the broker returned the partitions.
    upstream = [created, received(Topic.DOCUMENT_ADDED, document)]
    assert await intake.on_events(upstream[::-1] if document_first else upstream) == 2
    assert await intake.on_events([received(Topic.STAGE_COMPLETED, s) for s in (extract, route)]) == 2
    assert await intake.on_events([received(Topic.STAGE_COMPLETED, s) for s in (plan, documents)]) == 2

    seen = dict(commands.seen)
    assert seen == {
        ("insert", "cases"): 1,
        ("insert", "documents"): 1,
        ("insert", "runs"): 1,
        ("findAndModify", "runs"): 1,
        ("update", "work_items_acme"): 1,
    }, seen
    assert sum(seen.values()) == KAFKA_PATH_COMMANDS_IN_BATCHES

    # The same case as when its events come one by one.
    task = await intake.repo.get_run("acme", run_id)
    assert task is not None
    assert task["status"] == "succeeded"
    assert sorted(task["stages"]) == ["documents", "extract", "plan", "route"]
    await assert_whole_case(intake, db, case_id, run_id, unique)

    # Redelivered one by one (a batch cut elsewhere): the duplicate keys say so, and nothing changes.
    commands.seen.clear()
    await intake.on_case_created(created)
    await intake.on_document_added(received(Topic.DOCUMENT_ADDED, document))
    for stage in (extract, route, plan, documents):
        await intake.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))
    assert [d["_id"] for d in await intake.repo.case_documents("acme", case_id)] == [f"doc-{unique}"]
    again = await intake.repo.get_run("acme", run_id)
    assert again is not None
    assert (again["status"], again["finished_at"]) == ("succeeded", task["finished_at"])


async def test_redelivering_the_whole_case_reads_nothing_new_and_changes_nothing(
    counted: tuple[AsyncDatabase[Document], CommandCounter], broker: KafkaBroker, unique: str
) -> None:
    """A redelivery is found by its duplicate key: it costs a read only on that rare path."""
    counted_db, commands = counted
    intake = make_intake(counted_db, broker)
    await intake.tenants.ensure_tenant("acme")
    case_id = f"case-{unique}"
    run_id = auto_run_id(case_id)
    created = received(Topic.CASE_CREATED, CaseCreated(tenant_id="acme", case_id=case_id))
    stages = run_stages(RunInput(tenant_id="acme", case_id=case_id, run_id=run_id, letter_pages=[LETTER])).stages
    for _ in range(2):
        await intake.on_case_created(created)
        for stage in stages:
            await intake.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))
    assert commands.seen[("find", "runs")] == 0, "the process knew the run it created"
    task = await intake.repo.get_run("acme", run_id)
    assert task is not None
    assert (task["status"], sorted(task["stages"])) == ("running", ["extract", "route"])
    case = await intake.repo.get_case("acme", case_id)
    assert case is not None
    assert case["run_ids"] == [run_id]


# Create the case (insert cases), upload the letter (read the case; insert the queued run, the document,
# link both: update cases), four stages (the run is known: one findAndModify each), the worklist item.
HTTP_PATH_COMMANDS = 10


async def test_a_case_through_the_api_costs_intake_ten_commands_besides_its_outbox(
    counted: tuple[AsyncDatabase[Document], CommandCounter], broker: KafkaBroker
) -> None:
    """The outbox's clearing writes (of the case and of the document, by `Outbox`) and the
    API key lookups (cached in a running service) are counted apart: they are not this design's."""
    counted_db, commands = counted
    async with api_for(make_intake(counted_db, broker)) as api:
        assert await api.intake.tenants.exists("acme")  # known to the process from now on, as in a running service
        commands.seen.clear()
        case_id, task_id = await api.new_task()
        assert task_id == auto_run_id(case_id)
        stages = run_stages(RunInput(tenant_id="acme", case_id=case_id, run_id=task_id, letter_pages=[LETTER]))
        for stage in [*stages.stages, *later_stages(case_id, task_id)]:
            await api.intake.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))
        seen = dict(commands.seen)
    outbox = {k: n for k, n in seen.items() if k[0] == CLEAR_OUTBOX}
    mine = {k: n for k, n in seen.items() if k not in outbox and k[1] not in ("api_keys", "outbox_retries")}
    assert mine == {
        ("insert", "cases"): 1,
        ("find", "cases"): 1,
        ("insert", "runs"): 1,
        ("insert", "documents"): 1,
        ("update", "cases"): 1,
        ("findAndModify", "runs"): 4,
        ("update", "work_items_acme"): 1,
    }, seen
    assert sum(mine.values()) == HTTP_PATH_COMMANDS
