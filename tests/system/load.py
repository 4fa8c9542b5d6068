"""Load for the system tests: cases submitted through HTTP and straight to Kafka, retried like a real client."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import cycle
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from denialops_shared.contracts.cloudevents import EncodedEvent, encode
from denialops_shared.contracts.events import CaseCreated, DocType, DocumentAdded, Page, auto_run_id
from denialops_shared.contracts.topics import Topic
from tests.infra import ROOT

# Read once up front: the load loop must not block on file reads.
LETTERS = [(p.name, p.read_bytes()) for p in sorted((ROOT / "data" / "samples" / "letters").glob("*.txt"))]
Letter = tuple[str, bytes]
TERMINAL = {"succeeded", "failed", "cancelled"}
REQUIRED_ARTIFACTS = {"case_facts.json", "route.json", "action_plan.json", "action_plan.md", "call_script.md"}


@dataclass(frozen=True)
class Submitted:
    case_id: str
    task_id: str
    via: str


def letters() -> Iterator[Letter]:
    return cycle(LETTERS)


async def _retrying(
    client: httpx.AsyncClient, method: str, url: str, give_up_after: float, **kwargs: Any
) -> httpx.Response:
    """Retry transport errors and 5xx/429, as a client facing a restarting service would."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after
    delay = 0.2
    while True:
        try:
            response = await client.request(method, url, **kwargs)
            if response.status_code < 500 and response.status_code != 429:
                return response
        except httpx.TransportError:
            pass
        if loop.time() > deadline:
            raise AssertionError(f"{method} {url} kept failing for {give_up_after}s")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


async def submit_http(client: httpx.AsyncClient, letter: Letter, give_up_after: float = 120) -> Submitted:
    created = await _retrying(client, "POST", "/api/v1/cases", give_up_after, json={"mode": "fast"})
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    upload = await _retrying(
        client,
        "POST",
        f"/api/v1/cases/{case_id}/documents",
        give_up_after,
        files={"file": (letter[0], letter[1], "text/plain")},
        data={"doc_type": "denial_letter"},
    )
    assert upload.status_code == 201, upload.text
    return Submitted(case_id, upload.json()["task_id"], "http")


def letter_document(tenant: str, case_id: str, data: bytes) -> DocumentAdded:
    """A text denial letter as upstream systems add it to a case."""
    return DocumentAdded(
        tenant_id=tenant,
        case_id=case_id,
        document_id=f"doc-{uuid.uuid4()}",
        doc_type=DocType.DENIAL_LETTER,
        media_type="text/plain",
        sha256=hashlib.sha256(data).hexdigest(),
        pages=[Page(number=1, text=data.decode())],
        extraction_method="text",
    )


def upstream_events(letter: Letter, tenant: str) -> tuple[str, list[EncodedEvent]]:
    case_id = f"case-up-{uuid.uuid4()}"
    document = letter_document(tenant, case_id, letter[1])
    created = CaseCreated(tenant_id=tenant, case_id=case_id, source="system-test")
    return case_id, [
        encode(Topic.CASE_CREATED, created, source="/upstream"),
        encode(Topic.DOCUMENT_ADDED, document, source="/upstream"),
    ]


async def submit_kafka(
    producer: AIOKafkaProducer, letter: Letter, tenant: str, give_up_after: float = 120
) -> Submitted:
    case_id, events = upstream_events(letter, tenant)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after
    for event in events:
        while True:
            try:
                await producer.send_and_wait(
                    event.topic,
                    event.value,
                    key=event.key.encode(),
                    headers=[(k, v.encode()) for k, v in event.headers.items()],
                )
                break
            except KafkaError:
                # The broker is restarting: the same event (same id) is sent again, consumers dedupe.
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.5)
    return Submitted(case_id, auto_run_id(case_id), "kafka")


async def wait_finished(client: httpx.AsyncClient, cases: list[Submitted], wait_seconds: float) -> dict[str, str]:
    """Task status per case id once every task is terminal (or the time is up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    status: dict[str, str] = {}
    pending = list(cases)
    while pending and loop.time() < deadline:
        still: list[Submitted] = []
        for batch in (pending[i : i + 50] for i in range(0, len(pending), 50)):
            responses = await asyncio.gather(
                *(client.get(f"/api/v1/tasks/{c.task_id}") for c in batch), return_exceptions=True
            )
            for case, response in zip(batch, responses, strict=True):
                if isinstance(response, httpx.Response) and response.status_code == 200:
                    status[case.case_id] = response.json()["status"]
                if status.get(case.case_id) not in TERMINAL:
                    still.append(case)
        pending = still
        counts: dict[str, int] = {}
        for value in status.values():
            counts[value] = counts.get(value, 0) + 1
        print(f"waiting: {len(pending)} pending, {counts}", flush=True)
        if pending:
            await asyncio.sleep(1)
    return status
