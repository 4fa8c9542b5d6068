"""No PHI in any log line: planted names, ids, claim numbers and amounts go through every path (HTTP,
Kafka, failures, dead letters), then every line of every service's log is scanned for them."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest

from denialops_shared.contracts.cloudevents import encode
from denialops_shared.contracts.events import CaseCreated, auto_run_id
from denialops_shared.contracts.topics import Topic
from tests.e2e.conftest import Stack
from tests.e2e.test_pipeline import LETTERS, upstream_events, wait_for_task
from tests.kafka_helpers import collect, produce, produce_raw

pytestmark = pytest.mark.e2e

# Made-up, distinctive values: none of them can occur in a log line by chance.
PHI = {
    "patient": "Zebediah Quillfeather",
    "member_id": "ZQX99887766",
    "claim": "CLMPHI55443322",
    "amount": "$98,765.43",
    "ssn": "987-65-4329",
    "phone": "(555) 867-5309",
    "note": "Quillfeather was seen for vertigo",
}
# Fragments a partial leak would still show (a number without its prefix, an amount without formatting).
FRAGMENTS = ["Quillfeather", "Zebediah", "99887766", "55443322", "98,765.43", "98765.43", "65-4329", "867-5309"]


def planted_letter() -> bytes:
    letter = (LETTERS / "004.txt").read_text(encoding="utf-8")
    header = (
        f"Patient: {PHI['patient']}\nMember ID: {PHI['member_id']}\nClaim Number: {PHI['claim']}\n"
        f"SSN: {PHI['ssn']}\nBilled amount: {PHI['amount']}\nCall us at {PHI['phone']}\n\n"
    )
    return (header + letter).encode()


def scan(log_dir: Path) -> tuple[int, list[str]]:
    """(lines scanned, lines holding a planted value)."""
    pattern = re.compile("|".join(re.escape(f) for f in [*PHI.values(), *FRAGMENTS]), re.IGNORECASE)
    lines = [line for path in sorted(log_dir.glob("*.log")) for line in path.read_text(encoding="utf-8").splitlines()]
    return len(lines), [line for line in lines if pattern.search(line)]


def test_the_scan_finds_a_planted_value(tmp_path: Path) -> None:
    """Guards the test below: a log line with PHI in it is found."""
    (tmp_path / "x.log").write_text('{"event": "ok"}\n{"event": "x", "name": "zebediah quillfeather"}\n')
    assert scan(tmp_path) == (2, ['{"event": "x", "name": "zebediah quillfeather"}'])


def test_no_phi_in_any_log_line(stack: Stack, client: httpx.Client, tmp_path: Path) -> None:
    letter = planted_letter()
    context = {"patient_name": PHI["patient"], "member_id": PHI["member_id"], "notes": PHI["note"]}

    # HTTP: a case with PHI in its user context and letter, run to the end, artifacts read.
    case_id = client.post("/api/v1/cases", json={"mode": "verified", "user_context": context}).json()["case_id"]
    upload = client.post(f"/api/v1/cases/{case_id}/documents", files={"file": (f"{PHI['patient']}.txt", letter)})
    assert upload.status_code == 201, upload.text
    assert wait_for_task(client, upload.json()["task_id"])["status"] == "succeeded"
    for name in ("case_facts.json", "action_plan.md", "call_script.md"):
        assert client.get(f"/api/v1/cases/{case_id}/artifacts/{name}").status_code == 200
    assert client.post(f"/api/v1/cases/{case_id}/run").status_code == 200

    # Case work: a note (PHI) stored and read back, refused notes and changes carrying PHI.
    assert client.post(f"/api/v1/cases/{case_id}/notes", json={"text": PHI["note"]}).status_code == 201
    assert PHI["note"] in client.get(f"/api/v1/cases/{case_id}/history").text
    client.post(f"/api/v1/cases/{case_id}/notes", json={"text": PHI["note"] * 200})
    client.patch(f"/api/v1/cases/{case_id}", json={"owner": PHI["patient"], "status": PHI["claim"]})
    client.post(f"/api/v1/cases/{case_id}/decisions", json={"outcome": "upheld", "date": "2025-01-10"})
    assert client.get("/api/v1/worklist", params={"payer": PHI["patient"]}).status_code == 200

    # Failures carrying PHI: unreadable uploads, invalid bodies, a wrong key, an oversized body.
    client.post(f"/api/v1/cases/{case_id}/documents", files={"file": ("x.pdf", b"%PDF-1.4 " + letter)})
    client.post(f"/api/v1/cases/{case_id}/documents", files={"file": ("x.txt", b"\x00" + letter)})
    truncated = b'{"user_context": {"n": "' + letter[:500]
    client.post("/api/v1/cases", content=truncated, headers={"content-type": "application/json"})
    client.post("/api/v1/cases", json={"mode": PHI["patient"], "user_context": {PHI["member_id"]: PHI["claim"]}})
    client.get(f"/api/v1/cases/{PHI['member_id']}")
    client.get(f"/api/v1/cases/{case_id}/artifacts/{PHI['claim']}.json")
    httpx.get(f"{stack.intake}/api/v1/cases", headers={"Authorization": f"Bearer {PHI['ssn']}"})
    big = {"user_context": {f"k{i}": PHI["note"] * 20 for i in range(32)}}
    client.post("/api/v1/cases", content=json.dumps(big).encode(), headers={"content-type": "application/json"})

    # Kafka: an upstream case with the letter, and a record that is dead-lettered with PHI in its body.
    (tmp_path / "letter.txt").write_bytes(letter)
    kafka_case, events = upstream_events(tmp_path / "letter.txt", stack.tenant)
    asyncio.run(produce(stack.infra.kafka_bootstrap_servers, events))
    assert wait_for_task(client, auto_run_id(kafka_case))["status"] == "succeeded"
    poison_key = f"case-phi-{uuid.uuid4().hex[:8]}".encode()
    poison = json.dumps({"tenant_id": stack.tenant, "case_id": poison_key.decode(), "mode": PHI["patient"]})
    created = encode(Topic.CASE_CREATED, CaseCreated(tenant_id=stack.tenant, case_id="c"), source="/upstream")
    asyncio.run(
        produce_raw(
            stack.infra.kafka_bootstrap_servers, Topic.CASE_CREATED.value, poison_key, poison.encode(), created.headers
        )
    )
    asyncio.run(
        collect(stack.infra.kafka_bootstrap_servers, Topic.CASE_CREATED.dead_letter, lambda r: r.key == poison_key, 2)
    )
    time.sleep(1)  # the services log the dead letter after publishing it

    lines, leaks = scan(stack.log_dir)
    # The scan covered the services' own lines, including the failure paths that carried PHI.
    logged = "\n".join(path.read_text(encoding="utf-8") for path in stack.log_dir.glob("*.log"))
    assert lines > 20, "the services wrote too little to make this test meaningful"
    assert "kafka.event.dead_lettered" in logged
    assert leaks == []
