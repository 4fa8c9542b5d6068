"""The router's storage on the real database: what one case costs in commands, and documents kept apart."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_router.handlers import Router
from denialops_router.repository import MongoRouterRepository
from denialops_shared.contracts.cloudevents import InvalidEvent
from denialops_shared.contracts.events import CaseCreated, DocType, Mode, Page, auto_run_id
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox
from denialops_shared.settings import ServiceSettings
from tests.infra import ROOT
from tests.integration.support import CLEAR_OUTBOX, CommandCounter, received
from tests.integration.test_handlers import letter, router_stages

pytestmark = pytest.mark.integration


async def published(db: AsyncDatabase[Document], run_id: str) -> Document:
    """The run once its outbox was published and cleared (bounded wait, not a timing check)."""
    for _ in range(100):
        run = await db.runs.find_one({"_id": run_id})
        if run is not None and run["outbox"] == []:
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(f"the outbox of {run_id} was not cleared")


async def test_one_case_costs_the_router_one_write_per_event_and_one_claim(
    db: AsyncDatabase[Document],
    counted: tuple[AsyncDatabase[Document], CommandCounter],
    broker: KafkaBroker,
    settings: ServiceSettings,
    unique: str,
) -> None:
    router_db, commands = counted
    repository = MongoRouterRepository(router_db)
    router = Router(repository, Outbox(repository.runs, broker, 1.0))
    case_id = f"case-{unique}"
    await router.on_case_created(received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id)))
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, letter(case_id)))
    run = await published(db, auto_run_id(case_id))
    assert run["status"] == "done"
    assert [s.stage.value for s in await router_stages(settings, case_id, 3)] == ["extract", "route"]

    clear = {key: n for key, n in commands.seen.items() if key[0] == CLEAR_OUTBOX}
    own = commands.seen - Counter(clear)
    # The two events' writes and the run's claim (with its events): nothing read.
    assert own == Counter({("findAndModify", "cases"): 2, ("insert", "runs"): 1})
    # The shared outbox then removes the published events from the run (at most two commands).
    assert sum(clear.values()) <= 2, clear


@pytest.mark.parametrize("letter_first", [False, True], ids=["case-first", "letter-first"])
async def test_a_case_and_its_letter_in_one_batch_cost_the_router_one_write_and_one_claim(
    letter_first: bool,
    db: AsyncDatabase[Document],
    counted: tuple[AsyncDatabase[Document], CommandCounter],
    broker: KafkaBroker,
    settings: ServiceSettings,
    unique: str,
) -> None:
    router_db, commands = counted
    repository = MongoRouterRepository(router_db)
    router = Router(repository, Outbox(repository.runs, broker, 1.0))
    case_id = f"case-{unique}"
    # What the consumer's group hook is given when upstream's two events come in one batch (two topics:
    # in whichever order the broker returned the partitions).
    created = received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id))
    pair = [created, received(Topic.DOCUMENT_ADDED, letter(case_id))]
    assert await router.on_events(pair[::-1] if letter_first else pair) == 2
    run = await published(db, auto_run_id(case_id))
    assert run["status"] == "done"
    assert [s.stage.value for s in await router_stages(settings, case_id, 3)] == ["extract", "route"]

    clear = {key: n for key, n in commands.seen.items() if key[0] == CLEAR_OUTBOX}
    own = commands.seen - Counter(clear)
    assert own == Counter({("findAndModify", "cases"): 1, ("insert", "runs"): 1})
    assert sum(clear.values()) <= 2, clear


async def test_documents_past_the_page_budget_are_kept_apart_and_read_for_the_run(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    repository = MongoRouterRepository(db, pages_budget=100)
    router = Router(repository, Outbox(repository.runs, broker, 1.0))
    case_id = f"case-{unique}"
    eob_text = (ROOT / "data" / "samples" / "letters" / "007.txt").read_text(encoding="utf-8")
    eob = letter(case_id).model_copy(
        update={"document_id": "eob.1", "doc_type": DocType.EOB, "pages": [Page(number=1, text=eob_text)]}
    )
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, eob))
    await router.on_document_added(received(Topic.DOCUMENT_ADDED, letter(case_id)))
    case = await db.cases.find_one({"_id": case_id})
    assert case is not None
    stored = case["by_tenant"]["it"]["documents"]
    assert [(k, "pages" in d, d.get("apart")) for k, d in sorted(stored.items())] == [
        (f"doc-{case_id}", False, True),
        ("eob%2E1", False, True),
    ], "both past the budget; the dot of an id is kept as part of its key"
    assert await db.documents.count_documents({}) == 2

    await router.on_case_created(
        received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id, mode=Mode.VERIFIED))
    )
    extract = next(s for s in await router_stages(settings, case_id, 2) if s.stage.value == "extract")
    assert {a.name for a in extract.artifacts} == {"case_facts.json", "eob_facts.json"}


async def test_another_tenants_event_leaves_nothing_in_the_case(
    db: AsyncDatabase[Document], broker: KafkaBroker, unique: str
) -> None:
    repository = MongoRouterRepository(db)
    router = Router(repository, Outbox(repository.runs, broker, 1.0))
    case_id = f"case-{unique}"
    await router.on_case_created(received(Topic.CASE_CREATED, CaseCreated(tenant_id="it", case_id=case_id)))
    before = await db.cases.find_one({"_id": case_id})
    with pytest.raises(InvalidEvent) as refused:
        await router.on_case_created(
            received(Topic.CASE_CREATED, CaseCreated(tenant_id="intruder", case_id=case_id, mode=Mode.VERIFIED))
        )
    assert refused.value.code == "tenant_mismatch"
    assert await db.cases.find_one({"_id": case_id}) == before
