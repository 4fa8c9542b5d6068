"""Poison records among valid load, a corrected replay, and a run cancelled before its last stages.

One deployment for the module, with llm-worker configured against the fake OpenAI-compatible server:
its latency is what holds a run in the generation stages long enough to cancel it (no hook in the
services), and is zero for the load.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from denialops_cli.dlq import DeadLetter, read_all
from denialops_shared.contracts.cloudevents import EncodedEvent, encode
from denialops_shared.contracts.events import (
    CaseCreated,
    RunCancelled,
    RunRequested,
    Stage,
    StageCompleted,
    StageStatus,
    auto_run_id,
)
from denialops_shared.contracts.topics import Topic
from tests.kafka_helpers import collect, headers_of
from tests.support.fake_openai import FakeOpenAI
from tests.system.harness import Deployment
from tests.system.load import (
    LETTERS,
    REQUIRED_ARTIFACTS,
    Submitted,
    letter_document,
    letters,
    submit_http,
    submit_kafka,
    wait_finished,
)

pytestmark = pytest.mark.system

VALID_CASES = 200
PARTITIONS = 3
# Long enough to cancel the run while llm-worker waits for the model; far below LLM_TIMEOUT_SECONDS.
LLM_LATENCY_MS = 4000
LLM_WORKER_SOURCE = "/denialops/llm-worker"
# What each service's consumers.py subscribes to: a poison record is dead-lettered once per group.
GROUP_TOPICS = {
    "intake": (Topic.CASE_CREATED, Topic.DOCUMENT_ADDED, Topic.STAGE_COMPLETED),
    "router": (Topic.CASE_CREATED, Topic.DOCUMENT_ADDED, Topic.RUN_REQUESTED, Topic.RUN_CANCELLED),
    "llm-worker": (Topic.DOCUMENT_ADDED, Topic.STAGE_COMPLETED, Topic.RUN_CANCELLED),
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def stack(fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    llm = {
        "LLM_API_KEY": "sk-system-test-fake",
        "LLM_BASE_URL": fake.api_base,
        "LLM_TIMEOUT_SECONDS": "30",
        # Every run asks the model, so a cached answer cannot skip the latency.
        "CACHE_BACKEND": "none",
    }
    deployment = Deployment.create(tmp_path_factory.mktemp("poison-cancel"), PARTITIONS, extra_env=llm)
    try:
        started = time.monotonic()
        deployment.start()
        print(f"\ndeployment started in {time.monotonic() - started:.1f}s", flush=True)
        yield deployment
    finally:
        deployment.stop()


def group_of(stack: Deployment, service: str) -> str:
    return f"{stack.env['KAFKA_GROUP_PREFIX']}-{service}"


async def committed(stack: Deployment, service: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_of(stack, service))
    finally:
        await admin.close()
    return {tp: int(meta.offset) for tp, meta in offsets.items()}


async def wait_drained(stack: Deployment, wait_seconds: float) -> None:
    """Until every group has committed every record of its topics: all dead letters are written by then."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        deadline = time.monotonic() + wait_seconds
        reported = time.monotonic()
        while True:
            behind: dict[str, int] = {}
            for service, topics in GROUP_TOPICS.items():
                partitions = [TopicPartition(t.value, p) for t in topics for p in range(PARTITIONS)]
                ends = await consumer.end_offsets(partitions)
                done = await committed(stack, service)
                lag = sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items())
                if lag:
                    behind[service] = lag
            if not behind:
                return
            assert time.monotonic() < deadline, f"consumers still behind after {wait_seconds}s: {behind}"
            if time.monotonic() - reported > 5:
                print(f"records not yet consumed, by service: {behind}", flush=True)
                reported = time.monotonic()
            await asyncio.sleep(0.5)
    finally:
        await consumer.stop()


# ---- cancellation -------------------------------------------------------------------------------------


async def until(check: Any, wait_seconds: float, what: str) -> Any:
    deadline = time.monotonic() + wait_seconds
    while not (result := await check()):
        assert time.monotonic() < deadline, f"not {what} after {wait_seconds}s"
        await asyncio.sleep(0.1)
    return result


async def llm_worker_outcome(stack: Deployment, case_id: str, wait_seconds: float) -> list[Any]:
    """llm-worker's stage records for the case: its generated stages, or its cancelled one."""
    consumer = AIOKafkaConsumer(
        Topic.STAGE_COMPLETED.value,
        bootstrap_servers=stack.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    headers = headers_of(record)
                    if headers.get("ce_subject") == case_id and headers.get("ce_source") == LLM_WORKER_SOURCE:
                        found.append(record)
            stages = {StageCompleted.model_validate_json(r.value).stage for r in found}
            statuses = {StageCompleted.model_validate_json(r.value).status for r in found}
            if Stage.DOCUMENTS in stages or StageStatus.CANCELLED in statuses:
                return found
    finally:
        await consumer.stop()
    raise AssertionError(f"llm-worker published no outcome for the case within {wait_seconds}s")


@pytest.mark.timeout(300)
async def test_a_run_cancelled_before_its_last_stage_ends_cancelled_without_later_artifacts(
    stack: Deployment, fake: FakeOpenAI
) -> None:
    fake.reset()
    fake.configure(latency_ms=LLM_LATENCY_MS)
    async with httpx.AsyncClient(base_url=stack.url("intake"), timeout=30, headers=stack.auth()) as client:
        case = await submit_http(client, LETTERS[0])

        async def routed_and_generating() -> bool:
            task = (await client.get(f"/api/v1/tasks/{case.task_id}")).json()
            stages = {s["stage"]: s["status"] for s in task["stages"]}
            routed = stages["extract"] == stages["route"] == "succeeded"
            in_flight = int((await asyncio.to_thread(fake.stats))["in_flight"])
            return routed and in_flight >= 1

        # The router's stages are recorded and llm-worker is waiting for the model on this run.
        await until(routed_and_generating, 60, "routed with the model call in flight")
        started = time.monotonic()
        cancel = await client.post(f"/api/v1/tasks/{case.task_id}/cancel")
        assert cancel.status_code == 202, cancel.text
        assert cancel.json()["status"] == "cancelled"
        again = await client.post(f"/api/v1/tasks/{case.task_id}/cancel")
        assert (again.status_code, again.json()["status"]) == (202, "cancelled")
        await asyncio.to_thread(fake.configure, latency_ms=0)

        # Whatever llm-worker did with the cancel (it may have been mid-generation), once intake has consumed
        # its stage records for this run the run must still be cancelled and show no generated artifact.
        late = await llm_worker_outcome(stack, case.case_id, wait_seconds=90)
        last = int(max(r.offset for r in late))
        partition = TopicPartition(Topic.STAGE_COMPLETED.value, late[0].partition)

        async def intake_consumed_them() -> bool:
            return (await committed(stack, "intake")).get(partition, 0) > last

        await until(intake_consumed_them, 60, "consumed by intake")

        task = (await client.get(f"/api/v1/tasks/{case.task_id}")).json()
        listing = (await client.get(f"/api/v1/cases/{case.case_id}/artifacts", params={"task_id": case.task_id})).json()
        plan = await client.get(
            f"/api/v1/cases/{case.case_id}/artifacts/action_plan.json", params={"task_id": case.task_id}
        )
        cancels = await collect(
            stack.kafka_bootstrap, Topic.RUN_CANCELLED.value, lambda r: r.key == case.case_id.encode(), 2, 3
        )
    outcome = [
        (
            StageCompleted.model_validate_json(r.value).stage.value,
            StageCompleted.model_validate_json(r.value).status.value,
        )
        for r in late
    ]
    stages = {s["stage"]: s["status"] for s in task["stages"]}
    print(
        f"\ncancelled in {time.monotonic() - started:.1f}s; llm-worker published {outcome}; "
        f"intake task {task['status']} {stages}; artifacts {sorted(i['name'] for i in listing['items'])}; "
        f"run.cancelled events {len(cancels)}"
    )
    assert task["status"] == "cancelled"
    assert stages["plan"] != "succeeded"
    assert stages["documents"] != "succeeded"
    assert {item["name"] for item in listing["items"]} == {"case_facts.json", "route.json", "deadlines.json"}
    assert plan.status_code == 404
    assert len(cancels) == 1
    assert RunCancelled.model_validate_json(cancels[0].value).run_id == case.task_id


# ---- poison records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Poison:
    topic: Topic
    key: str
    value: bytes
    headers: dict[str, str]
    error_class: str  # the dlq_error_class every copy must carry
    groups: int  # how many consumer groups dead-letter it


def _json(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)


def plan_stage(tenant: str, case_id: str) -> StageCompleted:
    """A stage llm-worker ignores (it reads only extract and route), so only intake judges its tenant."""
    at = dt.datetime.now(dt.UTC)
    return StageCompleted(
        tenant_id=tenant,
        case_id=case_id,
        run_id=f"run-{uuid.uuid4()}",
        stage=Stage.PLAN,
        status=StageStatus.SUCCEEDED,
        started_at=at,
        finished_at=at,
    )


def poisons(tenant: str, replay_case: str) -> list[Poison]:
    """Ten records no retry can make valid, one of each kind; the first is `replay_case`'s case.created."""

    def valid(topic: Topic, body: Any) -> EncodedEvent:
        return encode(topic, body, source="/system-test/poison")

    def case_id() -> str:
        return f"case-poison-{uuid.uuid4()}"

    created = valid(Topic.CASE_CREATED, CaseCreated(tenant_id=tenant, case_id=replay_case))
    added = valid(Topic.DOCUMENT_ADDED, letter_document(tenant, case_id(), b"letter"))
    other = valid(Topic.CASE_CREATED, CaseCreated(tenant_id=tenant, case_id=case_id()))
    requested = valid(
        Topic.RUN_REQUESTED, RunRequested(tenant_id=tenant, case_id=case_id(), run_id="run-x", requested_by="t")
    )
    cancelled = valid(
        Topic.RUN_CANCELLED, RunCancelled(tenant_id=tenant, case_id=case_id(), run_id="run-y", cancelled_by="t")
    )
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    ghost_case = valid(Topic.CASE_CREATED, CaseCreated(tenant_id=ghost, case_id=case_id()))
    ghost_stage = valid(Topic.STAGE_COMPLETED, plan_stage(ghost, case_id()))
    stage = valid(Topic.STAGE_COMPLETED, plan_stage(tenant, case_id()))
    return [
        # Its case's letter arrives intact (published by the test): replaying it corrected runs the case.
        Poison(
            Topic.CASE_CREATED, replay_case, created.value[: len(created.value) // 2], created.headers, "bad_json", 2
        ),
        Poison(Topic.DOCUMENT_ADDED, added.key, b"\xff\xfe not json", added.headers, "bad_json", 3),
        Poison(
            Topic.CASE_CREATED,
            other.key,
            _json({**orjson.loads(other.value), "mode": "turbo"}),
            other.headers,
            "schema_invalid",
            2,
        ),
        Poison(
            Topic.DOCUMENT_ADDED,
            added.key,
            _json({**orjson.loads(added.value), "sha256": "not-a-hash", "pages": []}),
            added.headers,
            "schema_invalid",
            3,
        ),
        Poison(
            Topic.STAGE_COMPLETED,
            stage.key,
            _json({"schema_version": 1, "tenant_id": tenant, "case_id": stage.key, "stage": "teleport"}),
            stage.headers,
            "schema_invalid",
            2,
        ),
        Poison(
            Topic.CASE_CREATED,
            other.key,
            other.value,
            {**other.headers, "ce_type": "com.denialops.case.created.v2"},
            "unknown_type",
            2,
        ),
        Poison(
            Topic.RUN_REQUESTED,
            requested.key,
            requested.value,
            {**requested.headers, "ce_type": "com.example.unknown.v1"},
            "unknown_type",
            1,
        ),
        Poison(
            Topic.RUN_CANCELLED,
            cancelled.key,
            cancelled.value,
            {k: v for k, v in cancelled.headers.items() if k != "ce_specversion"},
            "not_cloudevent",
            2,
        ),
        # Valid events of a tenant intake does not know: only intake refuses them.
        Poison(Topic.CASE_CREATED, ghost_case.key, ghost_case.value, ghost_case.headers, "unknown_tenant", 1),
        Poison(Topic.STAGE_COMPLETED, ghost_stage.key, ghost_stage.value, ghost_stage.headers, "unknown_tenant", 1),
    ]


def replay_case_letter(tenant: str, case_id: str) -> EncodedEvent:
    """The replay case's letter: valid, so the case lacks only its (dead-lettered) case.created."""
    document = letter_document(tenant, case_id, LETTERS[1][1])
    return encode(Topic.DOCUMENT_ADDED, document, source="/system-test")


async def send(producer: AIOKafkaProducer, topic: str, key: str, value: bytes, headers: dict[str, str]) -> Any:
    return await producer.send_and_wait(
        topic, value, key=key.encode(), headers=[(k, v.encode()) for k, v in headers.items()]
    )


def original(letter: DeadLetter) -> tuple[str, int, int]:
    h = letter.headers
    return h["dlq_original_topic"], int(h["dlq_original_partition"]), int(h["dlq_original_offset"])


async def dead_letters(stack: Deployment) -> list[DeadLetter]:
    """Every dead letter, read with the CLI's own code."""
    found: list[DeadLetter] = []
    for topic in Topic:
        found += await read_all(stack.kafka_bootstrap, topic.dead_letter)
    return found


async def one_run_each(client: httpx.AsyncClient, cases: list[Submitted]) -> list[str]:
    """Cases with other than exactly one task."""
    odd: list[str] = []
    for batch in (cases[i : i + 50] for i in range(0, len(cases), 50)):
        views = await asyncio.gather(*(client.get(f"/api/v1/cases/{c.case_id}") for c in batch))
        odd += [c.case_id for c, view in zip(batch, views, strict=True) if len(view.json()["tasks"]) != 1]
    return odd


@pytest.mark.timeout(420)
async def test_poison_records_are_dead_lettered_once_per_group_and_a_corrected_replay_finishes_its_case(
    stack: Deployment, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.reset()
    replay_case = f"case-replay-{uuid.uuid4()}"
    bad = poisons(stack.tenant, replay_case)
    sent: dict[tuple[str, int, int], Poison] = {}
    cases: list[Submitted] = []
    started = time.monotonic()
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    async with httpx.AsyncClient(base_url=stack.url("intake"), timeout=30, headers=stack.auth()) as client:
        try:
            letter_event = replay_case_letter(stack.tenant, replay_case)
            await send(producer, letter_event.topic, letter_event.key, letter_event.value, letter_event.headers)
            limit = asyncio.Semaphore(16)
            samples = letters()

            async def one(index: int) -> None:
                async with limit:
                    if index % 2:
                        cases.append(await submit_kafka(producer, next(samples), stack.tenant))
                    else:
                        cases.append(await submit_http(client, next(samples)))

            tasks = []
            spacing = VALID_CASES // len(bad)
            for index in range(VALID_CASES):
                tasks.append(asyncio.create_task(one(index)))
                if index % spacing == spacing // 2:
                    poison = bad[index // spacing]
                    meta = await send(producer, poison.topic.value, poison.key, poison.value, poison.headers)
                    sent[(meta.topic, meta.partition, meta.offset)] = poison
                await asyncio.sleep(0)
            await asyncio.gather(*tasks)
        finally:
            await producer.stop()
        submitted = time.monotonic() - started

        # Waiting on consumer lag rather than polling 200 tasks a second leaves intake's CPU to the load.
        await wait_drained(stack, wait_seconds=240)
        statuses = await wait_finished(client, cases, wait_seconds=120)
        finished = time.monotonic() - started
        succeeded = [c for c in cases if statuses.get(c.case_id) == "succeeded"]
        not_one_run = await one_run_each(client, succeeded)
        await wait_drained(stack, wait_seconds=60)
        letters_before = await dead_letters(stack)
        counted = time.monotonic() - started

        # Replay one copy of the replay case's dead letter, its body corrected, with the CLI.
        copy = next(d for d in letters_before if d.key == replay_case.encode())
        body = tmp_path / "corrected.json"
        body.write_bytes(CaseCreated(tenant_id=stack.tenant, case_id=replay_case).model_dump_json().encode())
        command = [sys.executable, "-m", "denialops_cli.main", "dlq", "replay", copy.ref, "--body-file", str(body)]
        replayed = await asyncio.to_thread(
            subprocess.run,
            [*command, "--bootstrap", stack.kafka_bootstrap],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert "replayed 1" in replayed.stdout
        replay_task = Submitted(replay_case, auto_run_id(replay_case), "replay")
        replay_status = (await wait_finished(client, [replay_task], wait_seconds=60)).get(replay_case)
        replay_artifacts = (await client.get(f"/api/v1/cases/{replay_case}/artifacts")).json()["items"]
        await wait_drained(stack, wait_seconds=60)
        letters_after = await dead_letters(stack)
        replayed_in = time.monotonic() - started

    distinct = {original(d) for d in letters_before}
    per_group = Counter((original(d), d.headers.get("dlq_consumer_group")) for d in letters_before)
    reasons = Counter(sent[o].error_class for o in distinct if o in sent)
    copies = Counter(original(d) for d in letters_before)
    by_group = Counter(d.headers.get("dlq_consumer_group") for d in letters_before)
    print(
        f"\nvalid cases {len(cases)} (http {sum(c.via == 'http' for c in cases)}, kafka "
        f"{sum(c.via == 'kafka' for c in cases)}): succeeded {len(succeeded)}, not exactly one run {len(not_one_run)}; "
        f"submitted in {submitted:.1f}s, finished in {finished:.1f}s, dead letters counted at {counted:.1f}s, "
        f"replay done at {replayed_in:.1f}s\n"
        f"poison records {len(sent)}: dead-letter copies {len(letters_before)}, distinct {len(distinct)}, "
        f"by reason {dict(reasons)}, copies by group {dict(by_group)}\n"
        f"replayed {copy.ref} corrected: case {replay_status}, {len(replay_artifacts)} artifacts; "
        f"dead letters after the replay {len(letters_after)} (distinct {len({original(d) for d in letters_after})})"
    )
    assert len(cases) == VALID_CASES
    assert len(succeeded) == VALID_CASES, Counter(statuses.values())
    assert not_one_run == []
    assert len(sent) == 10
    assert distinct == set(sent), "exactly the poison records were dead-lettered"
    for dead in letters_before:
        assert dead.headers.get("dlq_reason"), dead.ref
        assert dead.headers.get("dlq_error_class") == sent[original(dead)].error_class, dead.ref
    assert max(per_group.values()) == 1, "dead-lettered at most once per consumer group"
    assert {o: copies[o] for o in sent} == {o: p.groups for o, p in sent.items()}
    assert replay_status == "succeeded"
    assert {a["name"] for a in replay_artifacts} >= REQUIRED_ARTIFACTS
    assert {original(d) for d in letters_after} == distinct, "the corrected record was not dead-lettered again"
