"""llm-worker's LLM path on the real database and broker: the Mongo cache and a whole generation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from faststream.kafka import KafkaBroker
from pydantic import BaseModel, SecretStr
from pymongo.asynchronous.database import AsyncDatabase

from denialops_llm_worker.handlers import Generator
from denialops_llm_worker.main import build_assistant
from denialops_llm_worker.repository import MongoGeneratorRepository
from denialops_llm_worker.settings import LlmWorkerSettings
from denialops_router.pipeline import RunInput, run_stages
from denialops_shared.contracts.artifacts import ActionPlan
from denialops_shared.contracts.events import DocType, DocumentAdded, Page, StageCompleted
from denialops_shared.contracts.topics import Topic
from denialops_shared.llm.cache import SWEEP_EVERY, CachedCompleter, MongoCache
from denialops_shared.llm.client import LlmRequest
from denialops_shared.llm.factory import CACHE_COLLECTION
from denialops_shared.llm.prompts import Prompt
from denialops_shared.llm.settings import CacheSettings, LlmSettings
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox
from denialops_shared.settings import ServiceSettings
from tests.infra import ROOT
from tests.integration.support import received
from tests.kafka_helpers import collect, headers_of
from tests.support.completers import CountingCompleter
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.integration

LETTER = (ROOT / "data" / "samples" / "letters" / "004.txt").read_text(encoding="utf-8")


class Answer(BaseModel):
    text: str


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


async def test_the_mongo_cache_is_shared_by_replicas_and_expires_on_read(db: AsyncDatabase[Document]) -> None:
    now = [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)]
    first, second = (MongoCache(db[CACHE_COLLECTION], 60, clock=lambda: now[0]) for _ in range(2))
    await first.create_indexes()
    request = LlmRequest(prompt=Prompt("p", "v1", "s"), user="u", schema=Answer, temperature=0.0)
    model = CountingCompleter()

    def replica(cache: MongoCache) -> CachedCompleter:
        return CachedCompleter(model, cache, provider="openai", model="m", max_temperature=0.2)

    assert await replica(first).complete(request) == Answer(text="answer 1")
    assert await replica(second).complete(request) == Answer(text="answer 1")
    assert model.calls == 1

    now[0] += dt.timedelta(seconds=61)  # expired, even though the TTL monitor has not removed it yet
    await replica(second).complete(request)
    assert model.calls == 2
    stored = await db[CACHE_COLLECTION].find_one({})
    assert stored is not None
    assert stored["_id"] != "u"
    assert len(stored["_id"]) == 64


async def test_expired_entries_are_swept_as_entries_are_written(db: AsyncDatabase[Document]) -> None:
    now = [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)]
    cache = MongoCache(db[CACHE_COLLECTION], 60, clock=lambda: now[0])
    await cache.set("old", "1")
    now[0] += dt.timedelta(seconds=61)
    for n in range(SWEEP_EVERY - 1):
        await cache.set(f"new-{n}", "2")
    assert await db[CACHE_COLLECTION].count_documents({"_id": "old"}) == 0
    assert await db[CACHE_COLLECTION].count_documents({}) == SWEEP_EVERY - 1


async def test_a_case_is_generated_by_the_model_with_its_letter(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings, fake: FakeOpenAI, unique: str
) -> None:
    fake.reset()
    worker_settings = LlmWorkerSettings(
        llm=LlmSettings(api_key=SecretStr("sk-it"), base_url=fake.api_base, timeout_seconds=5),
        cache=CacheSettings(backend="mongo"),
    )
    assistant, hooks = build_assistant(worker_settings, db)
    assert assistant is not None
    assert len(hooks) == 1
    fake.configure(
        responses={
            "Composition": {
                "summary": "Your claim was denied; the plan below says what to do next.",
                "steps": [],
                "letter_paragraph": "Please reconsider this claim.",
                "outlook": {"likelihood": "medium", "reason": "Similar cases are often overturned."},
            }
        }
    )
    generator = Generator(
        MongoGeneratorRepository(db), Outbox(db.outcomes, broker, 1.0), lambda: dt.date(2025, 1, 15), assistant
    )
    case_id = f"case-{unique}"
    run_id = f"run-{unique}"
    await generator.on_document_added(
        received(
            Topic.DOCUMENT_ADDED,
            DocumentAdded(
                tenant_id="it",
                case_id=case_id,
                document_id=f"doc-{unique}",
                doc_type=DocType.DENIAL_LETTER,
                media_type="text/plain",
                sha256="a" * 64,
                pages=[Page(number=1, text=LETTER)],
                extraction_method="text",
            ),
        )
    )
    for stage in run_stages(RunInput(tenant_id="it", case_id=case_id, run_id=run_id, letter_pages=[LETTER])).stages:
        await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))

    records = await collect(
        settings.kafka_bootstrap_servers,
        Topic.STAGE_COMPLETED.value,
        lambda r: headers_of(r)["ce_subject"] == case_id and headers_of(r)["ce_source"] == "/denialops/llm-worker",
        2,
        wait_seconds=10,
    )
    stages = [StageCompleted.model_validate_json(r.value) for r in records]
    artifacts = {a.name: a.content for stage in stages for a in stage.artifacts}
    plan = ActionPlan.model_validate_json(artifacts["action_plan.json"])
    assert (plan.generated_by, plan.model, plan.prompt_version) == ("llm", "gpt-4o-mini", "v1")
    assert "<!-- generated_by: llm" in artifacts["call_script.md"]
    assert fake.stats()["requests"] >= 1
    assert await db[CACHE_COLLECTION].count_documents({}) == fake.stats()["requests"]
