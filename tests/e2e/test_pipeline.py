"""End to end: sample letters through HTTP and through Kafka, across the four running services."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from denialops_intake.text_extraction import extract_pages, sniff_media_type
from denialops_shared.contracts.artifacts import ActionPlan, CaseFacts, Deadlines, RouteDecision
from denialops_shared.contracts.cloudevents import EncodedEvent, encode
from denialops_shared.contracts.events import CaseCreated, DocType, DocumentAdded, Page, auto_run_id
from denialops_shared.contracts.topics import Topic
from tests.e2e.conftest import Stack
from tests.infra import ROOT
from tests.kafka_helpers import collect, headers_of, produce, produce_raw

pytestmark = pytest.mark.e2e

LETTERS = ROOT / "data" / "samples" / "letters"
REQUIRED_ARTIFACTS = {
    "case_facts.json",
    "route.json",
    "deadlines.json",
    "action_plan.json",
    "action_plan.md",
    "call_script.md",
}


def sample_files() -> list[Path]:
    """Every sample letter once: the PDF where one exists, else the text."""
    texts = sorted(LETTERS.glob("*.txt"))
    return [p.with_suffix(".pdf") if p.with_suffix(".pdf").exists() else p for p in texts]


def wait_for_task(client: httpx.Client, task_id: str, wait_seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/tasks/{task_id}")
        if response.status_code == 200 and response.json()["status"] in ("succeeded", "failed", "cancelled"):
            return dict(response.json())
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish in {wait_seconds}s")


def submit(client: httpx.Client, path: Path) -> tuple[str, str]:
    """Create a case and upload `path` as its denial letter: the case id and the task id it started."""
    case_id = client.post("/api/v1/cases", json={"mode": "fast"}).json()["case_id"]
    upload = client.post(
        f"/api/v1/cases/{case_id}/documents",
        files={"file": (path.name, path.read_bytes(), "text/plain")},
        data={"doc_type": "denial_letter"},
    )
    assert upload.status_code == 201, upload.text
    return case_id, upload.json()["task_id"]


def check_artifacts(client: httpx.Client, case_id: str) -> dict[str, str]:
    listing = client.get(f"/api/v1/cases/{case_id}/artifacts").json()
    names = {item["name"] for item in listing["items"]}
    assert names >= REQUIRED_ARTIFACTS, names
    contents = {}
    for name in names:
        response = client.get(f"/api/v1/cases/{case_id}/artifacts/{name}")
        assert response.status_code == 200
        expected_type = "application/json" if name.endswith(".json") else "text/markdown"
        assert response.headers["content-type"].startswith(expected_type)
        contents[name] = response.text
    CaseFacts.model_validate_json(contents["case_facts.json"])
    RouteDecision.model_validate_json(contents["route.json"])
    deadlines = Deadlines.model_validate_json(contents["deadlines.json"])
    plan = ActionPlan.model_validate_json(contents["action_plan.json"])
    # The plan works to the deadline engine's next dated level.
    dated = deadlines.next_dated_level()
    assert plan.timeline.appeal_deadline == (dated.filing.due if dated else None)
    assert plan.timeline.regime is deadlines.regime
    return contents


def test_every_sample_letter_through_http(client: httpx.Client) -> None:
    files = sample_files()
    assert len(files) == 21
    assert sum(p.suffix == ".pdf" for p in files) == 3
    tasks: dict[str, tuple[str, str]] = {}
    for path in files:
        case = client.post("/api/v1/cases", json={"mode": "fast"})
        assert case.status_code == 201, case.text
        case_id = case.json()["case_id"]
        media = "application/pdf" if path.suffix == ".pdf" else "text/plain"
        upload = client.post(
            f"/api/v1/cases/{case_id}/documents",
            files={"file": (path.name, path.read_bytes(), media)},
            data={"doc_type": "denial_letter"},
        )
        assert upload.status_code == 201, upload.text
        assert upload.json()["extraction_method"] == ("pdf_text" if path.suffix == ".pdf" else "text")
        tasks[path.name] = (case_id, upload.json()["task_id"])
    for case_id, task_id in tasks.values():
        task = wait_for_task(client, task_id)
        assert task["status"] == "succeeded", task
        assert [s["status"] for s in task["stages"]] == ["succeeded"] * 4
        contents = check_artifacts(client, case_id)
        route = json.loads(contents["route.json"])["route"]
        assert f"{route}" in json.loads(contents["action_plan.json"])["route"]


def upstream_events(path: Path, tenant: str) -> tuple[str, list[EncodedEvent]]:
    """What an upstream system publishes for one letter: the document first, then the case, then a duplicate."""
    case_id = f"case-upstream-{uuid.uuid4().hex[:12]}"
    data = path.read_bytes()
    text = extract_pages(data, sniff_media_type(data))
    document = DocumentAdded(
        tenant_id=tenant,
        case_id=case_id,
        document_id=f"doc-{uuid.uuid4().hex[:12]}",
        doc_type=DocType.DENIAL_LETTER,
        media_type=text.media_type,
        sha256=hashlib.sha256(data).hexdigest(),
        pages=[Page(number=i, text=page) for i, page in enumerate(text.pages, start=1)],
        extraction_method=text.method,
    )
    created = CaseCreated(tenant_id=tenant, case_id=case_id, source="clearinghouse")
    # Events of one case on different topics may arrive in any order, and more than once.
    return case_id, [
        encode(Topic.DOCUMENT_ADDED, document, source="/upstream/capture"),
        encode(Topic.CASE_CREATED, created, source="/upstream/clearinghouse"),
        encode(Topic.CASE_CREATED, created, source="/upstream/clearinghouse"),
    ]


def test_every_sample_letter_straight_through_kafka(stack: Stack, client: httpx.Client) -> None:
    cases = [upstream_events(path, tenant=stack.tenant) for path in sample_files()]
    asyncio.run(produce(stack.infra.kafka_bootstrap_servers, [e for _, events in cases for e in events]))
    for case_id, _ in cases:
        task = wait_for_task(client, auto_run_id(case_id))
        assert task["status"] == "succeeded", task
        case = client.get(f"/api/v1/cases/{case_id}").json()
        assert case["source"] == "clearinghouse"
        assert len(case["tasks"]) == 1, "a duplicate case.created started a second run"
        assert len(case["documents"]) == 1
        check_artifacts(client, case_id)


def test_a_malformed_event_is_dead_lettered_and_the_partition_moves_on(stack: Stack, client: httpx.Client) -> None:
    bootstrap = stack.infra.kafka_bootstrap_servers
    key = f"case-poison-{uuid.uuid4().hex[:12]}".encode()
    asyncio.run(
        produce_raw(
            bootstrap,
            Topic.CASE_CREATED.value,
            key,
            b"{not json",
            {
                "ce_specversion": "1.0",
                "ce_type": "com.denialops.case.created.v1",
                "ce_id": "x",
                "ce_source": "t",
                "ce_time": "2025-01-01T00:00:00+00:00",
                "content-type": "application/json",
            },
        )
    )
    dead = asyncio.run(collect(bootstrap, Topic.CASE_CREATED.dead_letter, lambda r: r.key == key, count=2))
    # One dead letter per consuming group (intake and router both consume case.created).
    assert {headers_of(r)["dlq_error_class"] for r in dead} == {"bad_json"}
    assert len(dead) == 2
    assert all(headers_of(r)["dlq_original_topic"] == "case.created" for r in dead)
    # The next valid case still goes through.
    case_id = client.post("/api/v1/cases", json={"auto_run": False}).json()["case_id"]
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 200


def test_run_on_request_waits_and_returns_the_finished_task(client: httpx.Client) -> None:
    case_id = client.post("/api/v1/cases", json={"auto_run": False}).json()["case_id"]
    text = (LETTERS / "005.txt").read_bytes()
    upload = client.post(f"/api/v1/cases/{case_id}/documents", files={"file": ("l.txt", text, "text/plain")})
    assert upload.json()["task_id"] is None
    response = client.post(f"/api/v1/cases/{case_id}/run")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded"
    async_response = client.post(f"/api/v1/cases/{case_id}/run/async")
    assert async_response.status_code == 202
    assert wait_for_task(client, async_response.json()["task_id"])["status"] == "succeeded"
    tasks = client.get("/api/v1/tasks").json()["items"]
    assert {response.json()["task_id"], async_response.json()["task_id"]} <= {t["task_id"] for t in tasks}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "unreadable_document"),
        (b"\x00\x01\x02binary", "unreadable_document"),
        (b"%PDF-1.4 garbage", "unreadable_document"),
    ],
)
def test_bad_uploads_get_clear_errors(client: httpx.Client, content: bytes, code: str) -> None:
    case_id = client.post("/api/v1/cases", json={}).json()["case_id"]
    response = client.post(f"/api/v1/cases/{case_id}/documents", files={"file": ("x.txt", content, "text/plain")})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]


def test_errors_have_one_shape(client: httpx.Client) -> None:
    missing = client.get("/api/v1/cases/case-does-not-exist")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    malformed = client.post("/api/v1/cases", content=b"{oops", headers={"content-type": "application/json"})
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "invalid_request"
    no_letter = client.post("/api/v1/cases", json={}).json()["case_id"]
    assert client.post(f"/api/v1/cases/{no_letter}/run/async").status_code == 409


def test_health_metrics_and_status(stack: Stack) -> None:
    for name, url in stack.urls.items():
        assert httpx.get(f"{url}/health/live").status_code == 200, name
        assert httpx.get(f"{url}/health/ready").status_code == 200, name
        metrics = httpx.get(f"{url}/metrics").text
        assert "denialops_http_requests_total" in metrics, name
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        aggregate = httpx.get(f"{stack.urls['health']}/health")
        if aggregate.status_code == 200:
            break
        time.sleep(0.5)
    assert aggregate.status_code == 200, aggregate.text
    assert set(aggregate.json()["services"]) == {"intake", "router", "llm-worker"}
    page = httpx.get(f"{stack.urls['health']}/status")
    assert "<span class='ok'>ok</span>" in page.text
