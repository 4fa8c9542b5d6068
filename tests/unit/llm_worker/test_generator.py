"""The Generator's use cases against the in-memory repository: any order, any number of times, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from denialops_llm_worker.handlers import Generator
from denialops_router.pipeline import RunInput, run_stages
from denialops_shared.contracts.artifacts import ActionPlan
from denialops_shared.contracts.cloudevents import EncodedEvent, InvalidEvent
from denialops_shared.contracts.events import (
    DocType,
    DocumentAdded,
    Page,
    RunCancelled,
    Stage,
    StageCompleted,
    StageStatus,
)
from denialops_shared.contracts.topics import Topic
from tests.infra import ROOT
from tests.integration.support import received
from tests.unit.llm_worker.fake_repository import InMemoryGeneratorRepository

LETTER = (ROOT / "data" / "samples" / "letters" / "004.txt").read_text(encoding="utf-8")


class RecordingRelay:
    def __init__(self) -> None:
        self.published: list[tuple[Any, list[EncodedEvent]]] = []

    def flush_soon(self, doc_id: Any, events: Sequence[EncodedEvent]) -> None:
        self.published.append((doc_id, list(events)))


@pytest.fixture
def repo() -> InMemoryGeneratorRepository:
    return InMemoryGeneratorRepository()


@pytest.fixture
def relay() -> RecordingRelay:
    return RecordingRelay()


@pytest.fixture
def generator(repo: InMemoryGeneratorRepository, relay: RecordingRelay) -> Generator:
    return Generator(repo, relay, today=lambda: dt.date(2025, 1, 15))


def router_stages(run_id: str = "run-1", case_id: str = "case-1") -> tuple[StageCompleted, StageCompleted]:
    extract, route = run_stages(RunInput(tenant_id="t", case_id=case_id, run_id=run_id, letter_pages=[LETTER])).stages
    return extract, route


async def deliver(generator: Generator, *stages: StageCompleted) -> None:
    for stage in stages:
        await generator.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))


def cancel(run_id: str = "run-1", tenant: str = "t", case_id: str = "case-1") -> Any:
    return received(
        Topic.RUN_CANCELLED, RunCancelled(tenant_id=tenant, case_id=case_id, run_id=run_id, cancelled_by="u")
    )


def published_stages(relay: RecordingRelay) -> list[StageCompleted]:
    return [StageCompleted.model_validate_json(e.value) for _, events in relay.published for e in events]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
async def test_a_run_is_generated_once_whatever_the_order_and_repeats(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay, order: tuple[int, int]
) -> None:
    stages = router_stages()
    first, second = (stages[i] for i in order)
    await deliver(generator, first)
    assert relay.published == [], "waiting for the other input"
    assert "run-1" not in repo.outcomes
    await deliver(generator, second, first, second)

    assert [doc_id for doc_id, _ in relay.published] == ["run-1"], "published once"
    assert repo.outcomes["run-1"].status == "generated"
    assert repo.outcomes["run-1"].events == relay.published[0][1], "the outbox holds what was published"
    plan, documents = published_stages(relay)
    assert (plan.stage, documents.stage) == (Stage.PLAN, Stage.DOCUMENTS)
    artifacts = {a.name: a.content for a in plan.artifacts}
    assert ActionPlan.model_validate_json(artifacts["action_plan.json"]).generated_by == "template"
    assert "call_script.md" in {a.name for a in documents.artifacts}


async def test_a_cancel_before_generation_wins(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    await generator.on_run_cancelled(cancel())
    await deliver(generator, *router_stages())
    assert repo.outcomes["run-1"].status == "cancelled"
    assert [(s.stage, s.status) for s in published_stages(relay)] == [(Stage.PLAN, StageStatus.CANCELLED)]


async def test_a_cancel_after_generation_changes_nothing(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    await deliver(generator, *router_stages())
    await generator.on_run_cancelled(cancel())
    assert repo.outcomes["run-1"].status == "generated"
    assert len(relay.published) == 1


async def test_another_tenants_cancel_is_refused(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    extract, _ = router_stages()
    await deliver(generator, extract)
    with pytest.raises(InvalidEvent) as refused:
        await generator.on_run_cancelled(cancel(tenant="intruder"))
    assert refused.value.code == "tenant_mismatch"
    assert repo.outcomes == {}
    assert relay.published == []


async def test_another_cases_stage_for_a_run_is_refused_and_generates_nothing(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    extract, _ = router_stages()
    _, forged_route = router_stages(case_id="case-other")
    await deliver(generator, extract)
    with pytest.raises(InvalidEvent) as refused:
        await deliver(generator, forged_route)
    assert refused.value.code == "tenant_mismatch"
    assert repo.outcomes == {}
    assert relay.published == []


async def test_failed_and_other_stages_are_ignored(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    extract, route = router_stages()
    failed = route.model_copy(update={"status": StageStatus.FAILED, "artifacts": []})
    other = extract.model_copy(update={"stage": Stage.PLAN})
    without_facts = extract.model_copy(update={"artifacts": []})
    await deliver(generator, failed, other, without_facts)
    assert repo.runs == {}
    assert relay.published == []


async def test_a_route_without_deadlines_still_generates(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    extract, route = router_stages()
    older = route.model_copy(update={"artifacts": [a for a in route.artifacts if a.name != "deadlines.json"]})
    await deliver(generator, extract, older)
    assert "deadlines" not in repo.runs["run-1"]
    assert repo.outcomes["run-1"].status == "generated"


async def test_letters_are_kept_only_for_a_model(generator: Generator, repo: InMemoryGeneratorRepository) -> None:
    letter = DocumentAdded(
        tenant_id="t",
        case_id="case-1",
        document_id="doc-1",
        doc_type=DocType.DENIAL_LETTER,
        media_type="text/plain",
        sha256="a" * 64,
        pages=[Page(number=1, text=LETTER)],
        extraction_method="text",
    )
    await generator.on_document_added(received(Topic.DOCUMENT_ADDED, letter))
    assert repo.letters == {}


# -- a run's two input stages in one consumer batch (the consumer's group hook) ---------------------------


async def offer(generator: Generator, *bodies: StageCompleted | RunCancelled) -> int:
    topics = {StageCompleted: Topic.STAGE_COMPLETED, RunCancelled: Topic.RUN_CANCELLED}
    return await generator.on_events([received(topics[type(b)], b) for b in bodies])


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
async def test_both_inputs_together_generate_at_once_without_recording_them(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay, order: tuple[int, int]
) -> None:
    stages = router_stages()
    assert await offer(generator, *(stages[i] for i in order)) == 2
    assert repo.runs == {}, "no write of the inputs: the outcome's insert is the one write"
    assert repo.outcomes["run-1"].status == "generated"
    assert [s.stage for s in published_stages(relay)] == [Stage.PLAN, Stage.DOCUMENTS]


async def test_a_group_generates_what_the_two_stages_apart_would(
    repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    apart_relay = RecordingRelay()
    apart = Generator(InMemoryGeneratorRepository(), apart_relay, today=lambda: dt.date(2025, 1, 15))
    await deliver(apart, *router_stages())
    together = Generator(repo, relay, today=lambda: dt.date(2025, 1, 15))
    await offer(together, *router_stages())
    assert [s.artifacts for s in published_stages(relay)] == [s.artifacts for s in published_stages(apart_relay)]


async def test_a_stage_of_a_grouped_run_delivered_again_alone_publishes_nothing_more(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    extract, route = router_stages()
    await offer(generator, extract, route)
    await deliver(generator, extract, route, route)  # the batch redelivered, split differently
    assert await offer(generator, route, extract) == 2  # and again together
    assert [doc_id for doc_id, _ in relay.published] == ["run-1"], "published once"


async def test_a_cancel_before_a_group_wins_and_one_after_changes_nothing(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    await generator.on_run_cancelled(cancel())
    await offer(generator, *router_stages())
    assert repo.outcomes["run-1"].status == "cancelled"
    await offer(generator, *router_stages(run_id="run-2"))
    await generator.on_run_cancelled(cancel(run_id="run-2"))
    assert repo.outcomes["run-2"].status == "generated"
    assert [(s.run_id, s.stage, s.status) for s in published_stages(relay)] == [
        ("run-1", Stage.PLAN, StageStatus.CANCELLED),
        ("run-2", Stage.PLAN, StageStatus.SUCCEEDED),
        ("run-2", Stage.DOCUMENTS, StageStatus.SUCCEEDED),
    ]


async def test_events_that_are_not_one_runs_two_inputs_are_declined(
    generator: Generator, repo: InMemoryGeneratorRepository, relay: RecordingRelay
) -> None:
    extract, route = router_stages()
    _, other_case = router_stages(case_id="case-other")
    _, other_run = router_stages(run_id="run-2")
    other_tenant = route.model_copy(update={"tenant_id": "intruder"})
    failed = route.model_copy(update={"status": StageStatus.FAILED, "artifacts": []})
    declined = [
        (extract, other_case),
        (extract, other_run),
        (extract, other_tenant),
        (extract, failed),
        (extract, extract),
        (route, route),
    ]
    for pair in declined:
        assert await offer(generator, *pair) == 0, pair
    assert await offer(generator, cancel().body, extract) == 0
    assert repo.runs == {}
    assert relay.published == []
