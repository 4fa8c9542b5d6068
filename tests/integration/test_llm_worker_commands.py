"""The llm-worker's database commands for one case, counted on the real server (PyMongo command monitoring).

The data design (README) says three per case when the two input stages come apart: one upsert per input
stage, one insert of the outcome; one when they come in one consumer batch (the usual case: the router
publishes them together): the insert of the outcome. The outbox then clears the published events. A
count, not a time: it holds on any machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_llm_worker.handlers import Generator
from denialops_llm_worker.repository import MongoGeneratorRepository
from denialops_router.pipeline import RunInput, run_stages
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox
from tests.infra import ROOT
from tests.integration.support import CLEAR_OUTBOX, CommandCounter, received

pytestmark = pytest.mark.integration

LETTER = (ROOT / "data" / "samples" / "letters" / "004.txt").read_text(encoding="utf-8")


async def outbox_cleared(db: AsyncDatabase[Document], run_id: str) -> None:
    for _ in range(200):
        outcome = await db.outcomes.find_one({"_id": run_id})
        if outcome is not None and not outcome.get("outbox"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outcome's events were not published")


async def test_one_case_costs_three_commands_and_the_outbox_clear(
    db: AsyncDatabase[Document],
    counted: tuple[AsyncDatabase[Document], CommandCounter],
    broker: KafkaBroker,
    unique: str,
) -> None:
    watched, commands = counted
    generator = Generator(
        MongoGeneratorRepository(watched), Outbox(watched.outcomes, broker, 1.0), today=lambda: dt.date(2025, 1, 15)
    )
    run_id = f"run-{unique}"
    stages = run_stages(RunInput(tenant_id="it", case_id=f"case-{unique}", run_id=run_id, letter_pages=[LETTER])).stages
    for stage in stages:
        await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))
    await outbox_cleared(db, run_id)  # read through the unwatched client

    generating = {key: n for key, n in commands.seen.items() if key != (CLEAR_OUTBOX, "outcomes")}
    assert generating == {("findAndModify", "runs"): 2, ("insert", "outcomes"): 1}, commands.seen
    assert commands.seen[(CLEAR_OUTBOX, "outcomes")] <= 1, "the outbox clears the published events once"

    # A stage delivered again after the run finished: its upsert, and the insert whose duplicate key says done.
    commands.seen.clear()
    await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, stages[-1]))
    assert commands.seen == {("findAndModify", "runs"): 1, ("insert", "outcomes"): 1}, commands.seen


async def test_both_input_stages_in_one_batch_cost_one_insert_and_the_outbox_clear(
    db: AsyncDatabase[Document],
    counted: tuple[AsyncDatabase[Document], CommandCounter],
    broker: KafkaBroker,
    unique: str,
) -> None:
    watched, commands = counted
    generator = Generator(
        MongoGeneratorRepository(watched), Outbox(watched.outcomes, broker, 1.0), today=lambda: dt.date(2025, 1, 15)
    )
    run_id = f"run-{unique}"
    stages = run_stages(RunInput(tenant_id="it", case_id=f"case-{unique}", run_id=run_id, letter_pages=[LETTER])).stages
    # What the consumer's group hook is given when the router's two events come in one batch.
    assert await generator.on_events([received(Topic.STAGE_COMPLETED, stage) for stage in stages]) == 2
    await outbox_cleared(db, run_id)

    generating = {key: n for key, n in commands.seen.items() if key != (CLEAR_OUTBOX, "outcomes")}
    assert generating == {("insert", "outcomes"): 1}, commands.seen
    assert commands.seen[(CLEAR_OUTBOX, "outcomes")] <= 1, "the outbox clears the published events once"
    outcome = await db.outcomes.find_one({"_id": run_id})
    assert outcome is not None
    assert outcome["status"] == "generated"

    # One of the two delivered again alone later: its upsert, and nothing more (the other input is not there).
    commands.seen.clear()
    await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, stages[0]))
    assert commands.seen == {("findAndModify", "runs"): 1}, commands.seen
    # Then the other: the run is ready again, and the outcome's duplicate key says it was published.
    commands.seen.clear()
    await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, stages[1]))
    assert commands.seen == {("findAndModify", "runs"): 1, ("insert", "outcomes"): 1}, commands.seen
