"""The router's use cases against the in-memory repository: order, redelivery, cancels, tenants, page budget.

The same handlers run on FerretDB in tests/integration/test_handlers.py and test_router_commands.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest

from denialops_router import handlers
from denialops_router.case_state import facts_of
from denialops_router.handlers import Router
from denialops_router.pipeline import RunInput, RunOutcome, run_stages
from denialops_router.repository import InMemoryRouterRepository
from denialops_shared.contracts.cloudevents import EncodedEvent, InvalidEvent, ReceivedEvent, decode, encode
from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    EventBody,
    Mode,
    Page,
    RunCancelled,
    RunRequested,
    StageCompleted,
    auto_run_id,
)
from denialops_shared.contracts.topics import Topic
from tests.infra import ROOT

LETTER = (ROOT / "data" / "samples" / "letters" / "004.txt").read_text(encoding="utf-8")
TOPICS = {
    CaseCreated: Topic.CASE_CREATED,
    DocumentAdded: Topic.DOCUMENT_ADDED,
    RunRequested: Topic.RUN_REQUESTED,
    RunCancelled: Topic.RUN_CANCELLED,
}


class Published:
    """Records what the router hands to its outbox."""

    def __init__(self) -> None:
        self.flushed: list[tuple[str, list[StageCompleted]]] = []

    def flush_soon(self, doc_id: Any, events: Sequence[EncodedEvent]) -> None:
        self.flushed.append((doc_id, [StageCompleted.model_validate_json(e.value) for e in events]))

    def stages(self) -> list[tuple[str, str, str]]:
        return [(run_id, s.stage.value, s.status.value) for run_id, stages in self.flushed for s in stages]


class Runs:
    """run_stages, counting the inputs it was given."""

    def __init__(self) -> None:
        self.inputs: list[RunInput] = []

    def __call__(self, run: RunInput) -> RunOutcome:
        self.inputs.append(run)
        return run_stages(run)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    counted = Runs()
    monkeypatch.setattr(handlers, "run_stages", counted)
    return counted


def received(body: EventBody) -> ReceivedEvent[EventBody]:
    topic = TOPICS[type(body)]
    event = encode(topic, body, source="/test")
    return decode(topic, event.headers, event.value)


def letter(case_id: str, document_id: str = "doc-1", *, tenant: str = "t", text: str = LETTER) -> DocumentAdded:
    return document(case_id, document_id, DocType.DENIAL_LETTER, tenant=tenant, text=text)


def document(case_id: str, document_id: str, doc_type: DocType, *, tenant: str = "t", text: str) -> DocumentAdded:
    return DocumentAdded(
        tenant_id=tenant,
        case_id=case_id,
        document_id=document_id,
        doc_type=doc_type,
        media_type="text/plain",
        sha256="a" * 64,
        pages=[Page(number=1, text=text)],
        extraction_method="text",
    )


async def deliver(router: Router, *bodies: EventBody) -> None:
    on = {
        CaseCreated: router.on_case_created,
        DocumentAdded: router.on_document_added,
        RunRequested: router.on_run_requested,
        RunCancelled: router.on_run_cancelled,
    }
    for body in bodies:
        await on[type(body)](received(body))


def setup() -> tuple[Router, InMemoryRouterRepository, Published]:
    repository, published = InMemoryRouterRepository(), Published()
    return Router(repository, published), repository, published


@pytest.mark.parametrize("order", list(itertools.permutations(["created", "letter", "created", "letter"]))[::5])
async def test_a_case_runs_once_whatever_the_order_in_three_commands(order: tuple[str, ...], runs: Runs) -> None:
    router, repository, published = setup()
    events = {"created": CaseCreated(tenant_id="t", case_id="c1"), "letter": letter("c1")}
    first_two = list(dict.fromkeys(order))  # each event once, in this order
    await deliver(router, *(events[name] for name in first_two))
    assert repository.commands == 3, "one write per event and one claim, no read"
    await deliver(router, *(events[name] for name in order))  # then all of them again

    run_id = auto_run_id("c1")
    assert published.stages() == [(run_id, "extract", "succeeded"), (run_id, "route", "succeeded")]
    assert [r.run_id for r in runs.inputs] == [run_id], "computed once"
    assert repository.runs[run_id]["status"] == "done"


async def test_a_redelivery_after_a_crash_before_the_claim_starts_the_run(runs: Runs) -> None:
    router, repository, published = setup()
    await deliver(router, CaseCreated(tenant_id="t", case_id="c1"))
    # The letter's write happened, then the process died before claiming the run it made ready.
    body = letter("c1")
    await repository.record("c1", "t", facts_of(body, received(body).time))
    await deliver(router, body)  # Kafka delivers it again
    assert [r.run_id for r in runs.inputs] == [auto_run_id("c1")]
    assert len(published.flushed) == 1


async def test_a_redelivery_of_a_started_run_reads_once_and_computes_nothing(runs: Runs) -> None:
    router, repository, published = setup()
    await deliver(router, CaseCreated(tenant_id="t", case_id="c1"), letter("c1"))
    before = repository.commands
    await deliver(router, letter("c1"))
    assert repository.commands == before + 2, "its write and one read of the run"
    assert len(runs.inputs) == 1
    assert len(published.flushed) == 1


async def test_a_requested_run_waits_for_the_letter_it_names(runs: Runs) -> None:
    router, repository, _ = setup()
    await deliver(
        router,
        CaseCreated(tenant_id="t", case_id="c1", auto_run=False),
        RunRequested(tenant_id="t", case_id="c1", run_id="run-1", requested_by="u", document_id="doc-2"),
        letter("c1", "doc-1"),
    )
    assert runs.inputs == [], "auto_run=False starts no run, and run-1 waits for doc-2"
    await deliver(router, letter("c1", "doc-2", text=LETTER + "\nSecond letter."))
    assert [(r.run_id, r.letter_pages[-1][-14:]) for r in runs.inputs] == [("run-1", "Second letter.")]
    assert set(repository.runs) == {"run-1"}


async def test_a_later_run_reads_the_newest_letter_and_restarts_nothing(runs: Runs) -> None:
    router, _, _ = setup()
    await deliver(router, CaseCreated(tenant_id="t", case_id="c1"), letter("c1", "doc-1"))
    await deliver(router, letter("c1", "doc-2", text=LETTER + "\nSecond letter."))
    assert len(runs.inputs) == 1, "a new letter does not restart the auto run"
    await deliver(router, RunRequested(tenant_id="t", case_id="c1", run_id="run-2", requested_by="u"))
    assert [(r.run_id, r.letter_pages[-1].endswith("Second letter.")) for r in runs.inputs] == [
        (auto_run_id("c1"), False),
        ("run-2", True),
    ]


async def test_a_run_cancelled_before_it_starts_never_starts(runs: Runs) -> None:
    router, repository, published = setup()
    run_id = auto_run_id("c1")
    cancel = RunCancelled(tenant_id="t", case_id="c1", run_id=run_id, cancelled_by="u")
    await deliver(router, cancel, CaseCreated(tenant_id="t", case_id="c1"), letter("c1"), cancel)
    assert runs.inputs == []
    assert published.stages() == [(run_id, "extract", "cancelled")]
    assert repository.runs[run_id]["status"] == "cancelled"


async def test_a_cancel_of_a_finished_run_changes_nothing(runs: Runs) -> None:
    router, repository, published = setup()
    run_id = auto_run_id("c1")
    await deliver(router, CaseCreated(tenant_id="t", case_id="c1"), letter("c1"))
    await deliver(router, RunCancelled(tenant_id="t", case_id="c1", run_id=run_id, cancelled_by="u"))
    assert repository.runs[run_id]["status"] == "done"
    assert [stage for _, stage, _ in published.stages()] == ["extract", "route"]


@pytest.mark.parametrize(
    "forged",
    [
        letter("c1", "doc-x", tenant="intruder"),
        CaseCreated(tenant_id="intruder", case_id="c1", mode=Mode.VERIFIED),
        RunRequested(tenant_id="intruder", case_id="c1", run_id="run-x", requested_by="x"),
        RunCancelled(tenant_id="intruder", case_id="c1", run_id=auto_run_id("c1"), cancelled_by="x"),
    ],
)
async def test_another_tenants_event_for_a_case_is_refused_and_changes_nothing(forged: EventBody, runs: Runs) -> None:
    router, repository, published = setup()
    await deliver(router, CaseCreated(tenant_id="t", case_id="c1"))
    state = repository.cases["c1"]
    with pytest.raises(InvalidEvent) as refused:
        await deliver(router, forged)
    assert refused.value.code == "tenant_mismatch"
    assert repository.cases["c1"] == state
    await deliver(router, letter("c1"))
    assert [(r.run_id, r.verified) for r in runs.inputs] == [(auto_run_id("c1"), False)]
    assert [status for _, _, status in published.stages()] == ["succeeded", "succeeded"]


async def test_documents_past_the_page_budget_are_kept_apart_and_still_read(runs: Runs) -> None:
    repository, published = InMemoryRouterRepository(pages_budget=len(LETTER.encode()) + 10), Published()
    router = Router(repository, published)
    eob_text = (ROOT / "data" / "samples" / "letters" / "007.txt").read_text(encoding="utf-8")
    plan_text = (ROOT / "tests" / "unit" / "router" / "fixtures" / "sbc_bluepine.txt").read_text(encoding="utf-8")
    await deliver(
        router,
        letter("c1"),
        document("c1", "eob-1", DocType.EOB, text=eob_text),
        document("c1", "sbc-1", DocType.SBC, text=plan_text),
    )
    assert set(repository.apart) == {("c1", "eob-1"), ("c1", "sbc-1")}, "the letter fills the budget"
    assert all("pages" not in repository.cases["c1"][1]["documents"][d] for d in ("eob-1", "sbc-1"))
    await deliver(router, CaseCreated(tenant_id="t", case_id="c1", mode=Mode.VERIFIED))
    [run] = runs.inputs
    assert (run.letter_pages, run.eob_pages, run.plan_pages, run.verified) == (
        [LETTER],
        [[eob_text]],
        [[plan_text]],
        True,
    )
    extract = published.flushed[0][1][0]
    assert {a.name for a in extract.artifacts} == {"case_facts.json", "eob_facts.json", "plan_rules.json"}


# -- a case.created and its document.added in one consumer batch (the consumer's group hook) ----------------


async def offer(router: Router, *bodies: EventBody) -> int:
    return await router.on_events([received(body) for body in bodies])


@pytest.mark.parametrize("letter_first", [False, True], ids=["case-first", "letter-first"])
async def test_a_case_and_its_letter_together_run_once_in_two_commands(letter_first: bool, runs: Runs) -> None:
    router, repository, published = setup()
    # Two topics: the batch holds them in whichever order the broker returned the partitions.
    pair = [CaseCreated(tenant_id="t", case_id="c1"), letter("c1")]
    assert await offer(router, *(reversed(pair) if letter_first else pair)) == 2
    assert repository.commands == 2, "one write of both events' facts and one claim"
    run_id = auto_run_id("c1")
    assert published.stages() == [(run_id, "extract", "succeeded"), (run_id, "route", "succeeded")]
    # Delivered again, together or one by one: the run is not computed again.
    await offer(router, CaseCreated(tenant_id="t", case_id="c1"), letter("c1"))
    await deliver(router, CaseCreated(tenant_id="t", case_id="c1"), letter("c1"))
    assert [r.run_id for r in runs.inputs] == [run_id], "computed once"
    assert len(published.flushed) == 1


async def test_a_grouped_case_redelivered_after_a_crash_before_the_claim_starts_the_run(runs: Runs) -> None:
    router, repository, published = setup()
    created, body = CaseCreated(tenant_id="t", case_id="c1"), letter("c1")
    # The group's write happened, then the process died before claiming the run it made ready.
    await repository.record("c1", "t", facts_of(created, received(created).time) | facts_of(body, received(body).time))
    await deliver(router, body)  # delivered again, alone this time
    assert [r.run_id for r in runs.inputs] == [auto_run_id("c1")]
    assert len(published.flushed) == 1


async def test_a_grouped_case_of_another_tenant_is_refused_and_changes_nothing(runs: Runs) -> None:
    router, repository, published = setup()
    await deliver(router, CaseCreated(tenant_id="t", case_id="c1"))
    state = repository.cases["c1"]
    with pytest.raises(InvalidEvent) as refused:
        await offer(router, CaseCreated(tenant_id="intruder", case_id="c1"), letter("c1", tenant="intruder"))
    assert refused.value.code == "tenant_mismatch"
    assert repository.cases["c1"] == state
    assert published.flushed == []


async def test_other_pairs_are_declined(runs: Runs) -> None:
    router, repository, _ = setup()
    created = CaseCreated(tenant_id="t", case_id="c1")
    for pair in (
        (created, letter("c2")),
        (created, letter("c1", tenant="other")),
        (letter("c1", tenant="other"), created),
        (created, RunRequested(tenant_id="t", case_id="c1", run_id="run-1", requested_by="u")),
    ):
        assert await offer(router, *pair) == 0
    assert repository.commands == 0
