"""Intake's projection of events on the real database: redeliveries and its own events change nothing."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_intake.handlers import SOURCE
from denialops_shared.contracts.cloudevents import InvalidEvent
from denialops_shared.contracts.events import CaseCreated, Mode, Stage, StageCompleted, StageStatus, make_artifact
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from tests.integration.support import make_intake, received

pytestmark = pytest.mark.integration


async def test_a_redelivered_stage_keeps_one_copy_of_each_artifact(
    db: AsyncDatabase[Document], broker: KafkaBroker
) -> None:
    intake = make_intake(db, broker)
    await intake.tenants.ensure_tenant("acme")
    case = await intake.create_case("acme", Mode.FAST, False, {})
    at = dt.datetime.now(dt.UTC)
    plan = StageCompleted(
        tenant_id="acme",
        case_id=case["_id"],
        run_id="run-redelivered",
        stage=Stage.PLAN,
        status=StageStatus.SUCCEEDED,
        started_at=at,
        finished_at=at,
        artifacts=[make_artifact("action_plan.json", "{}"), make_artifact("action_plan.md", "# Plan")],
    )
    for _ in range(3):
        await intake.on_stage_completed(received(Topic.STAGE_COMPLETED, plan))
    run = await db.runs.find_one({"_id": "run-redelivered"})
    assert run is not None
    assert [a["name"] for a in run["outputs"]["plan"]] == ["action_plan.json", "action_plan.md"]
    assert [a["name"] for a in await intake.repo.run_artifacts("acme", "run-redelivered", with_content=False)] == [
        "action_plan.json",
        "action_plan.md",
    ]
    assert run["stages"]["plan"]["artifacts"] == ["action_plan.json", "action_plan.md"]
    case_doc = await db.cases.find_one({"_id": case["_id"]})
    assert case_doc is not None
    assert case_doc["run_ids"] == ["run-redelivered"], "a run intake did not create is listed on its case once"


async def test_its_own_events_are_not_projected_again_but_their_tenant_is_still_checked(
    db: AsyncDatabase[Document], broker: KafkaBroker, unique: str
) -> None:
    intake = make_intake(db, broker)
    await intake.tenants.ensure_tenant("acme")
    own = CaseCreated(tenant_id="acme", case_id=f"case-{unique}", source="intake")
    await intake.on_case_created(received(Topic.CASE_CREATED, own, source=SOURCE))
    assert await db.cases.count_documents({}) == 0, "intake wrote this case before publishing its event"
    forged = CaseCreated(tenant_id="ghost", case_id=f"case-{unique}-forged")
    with pytest.raises(InvalidEvent) as refused:
        await intake.on_case_created(received(Topic.CASE_CREATED, forged, source=SOURCE))
    assert refused.value.code == "unknown_tenant"
    upstream = CaseCreated(tenant_id="acme", case_id=f"case-{unique}-upstream")
    await intake.on_case_created(received(Topic.CASE_CREATED, upstream, source="/upstream"))
    assert await db.cases.count_documents({}) == 1


async def test_concurrent_updates_of_one_case_are_all_kept(db: AsyncDatabase[Document], broker: KafkaBroker) -> None:
    """FerretDB reads and rewrites a whole document per update; without the per-document lock some are lost."""
    intake = make_intake(db, broker)
    await intake.tenants.ensure_tenant("acme")
    case = await intake.create_case("acme", Mode.FAST, False, {})
    now = dt.datetime.now(dt.UTC)
    documents = [f"doc-{i}" for i in range(40)]
    await asyncio.gather(
        *(intake.repo.link("acme", case["_id"], {"document_ids": d}, now) for d in documents),
        intake.case_outbox.flush(case["_id"]),
    )
    stored = await db.cases.find_one({"_id": case["_id"]})
    assert stored is not None
    assert sorted(stored["document_ids"]) == sorted(documents)
    assert stored["outbox"] == [], "the relay's clearing was not lost either"
