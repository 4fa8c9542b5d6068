"""Case work through the HTTP API of the four running services: the worklist orders two letters by their
deadlines; a submission and an upheld decision, then the payer's decision letter moves the case on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.test_pipeline import submit, wait_for_task
from tests.infra import ROOT

LETTERS = ROOT / "data" / "samples" / "letters"
DECISION_LETTER = Path(__file__).parent / "fixtures" / "upheld_appeal_decision.txt"


def work_of(client: httpx.Client, case_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    work: dict[str, Any] = response.json()["work"]
    return work


def artifact(client: httpx.Client, case_id: str, task_id: str, name: str) -> dict[str, Any] | None:
    response = client.get(f"/api/v1/cases/{case_id}/artifacts/{name}", params={"task_id": task_id})
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    content: dict[str, Any] = json.loads(response.text)
    return content


def test_the_worklist_orders_two_letters_and_the_payers_answer_moves_the_case_on(client: httpx.Client) -> None:
    near, near_task = submit(client, LETTERS / "006.txt")  # $18,940, appeal by 2025-03-02
    far, far_task = submit(client, LETTERS / "009.txt")  # $140, appeal by 2025-06-18
    for task in (near_task, far_task):
        assert wait_for_task(client, task)["status"] == "succeeded"

    listed = client.get("/api/v1/worklist")
    assert listed.status_code == 200, listed.text
    items = [i for i in listed.json()["items"] if i["case_id"] in (near, far)]
    assert [i["case_id"] for i in items] == [near, far]
    assert items[0]["next_deadline"] < items[1]["next_deadline"]
    assert items[0]["priority"] > items[1]["priority"]
    assert "Wexford" not in listed.text, "no patient name on the worklist"

    level = work_of(client, near)["level"] or "appeal"
    submission = {"level": level, "date": "2025-01-05", "channel": "fax", "documents": ["appeal_letter.md"]}
    submitted = client.post(f"/api/v1/cases/{near}/submissions", json=submission)
    assert submitted.status_code == 201, submitted.text
    decided = client.post(f"/api/v1/cases/{near}/decisions", json={"outcome": "upheld", "date": "2025-01-12"})
    assert decided.status_code == 201, decided.text
    assert (decided.json()["status"], decided.json()["outcome"]) == ("decided", "upheld")

    upload = client.post(
        f"/api/v1/cases/{near}/documents",
        files={"file": (DECISION_LETTER.name, DECISION_LETTER.read_bytes(), "text/plain")},
        data={"doc_type": "denial_letter"},
    )
    assert upload.status_code == 201, upload.text
    answer_task = upload.json()["task_id"]
    assert answer_task not in (None, near_task), "the payer's letter is read in a run of its own"
    assert wait_for_task(client, answer_task)["status"] == "succeeded"

    work = work_of(client, near)
    assert work["level"] != level, "the upheld level is done: the case is at the next one"
    deadlines = artifact(client, near, answer_task, "deadlines.json")
    facts = artifact(client, near, answer_task, "case_facts.json")
    assert facts is not None
    assert facts["date_of_denial"] == "2025-01-10", "the run read the payer's answer, not the first letter"
    if deadlines is not None and deadlines["next_action"] is not None:
        assert (work["level"], work["next_deadline"]) == (
            deadlines["next_action"]["level"],
            deadlines["next_action"]["due"],
        )
    else:
        assert work["next_deadline"] == facts["appeal_deadline"]
    assert work["next_deadline"] is not None
    history = client.get(f"/api/v1/cases/{near}/history").json()["items"]
    assert [e["action"] for e in history] == ["submission_recorded", "decision_recorded"]
    again = [i for i in client.get("/api/v1/worklist").json()["items"] if i["case_id"] == near]
    assert again[0]["next_deadline"] == work["next_deadline"]
