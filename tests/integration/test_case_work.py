"""Case work through intake's HTTP API on the real database: statuses, notes, submissions, decisions,
history, the worklist and analytics; refused input changes nothing; another tenant sees nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_router.pipeline import RunInput, run_stages
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from tests.infra import ROOT
from tests.integration.intake_api import Api, api_for, assert_error
from tests.integration.support import make_intake, received

pytestmark = pytest.mark.integration

TODAY = dt.date(2025, 1, 15)
LETTERS = ROOT / "data" / "samples" / "letters"


@pytest.fixture
async def work_api(db: AsyncDatabase[Document], broker: KafkaBroker) -> AsyncIterator[Api]:
    intake = make_intake(db, broker)
    intake.today = lambda: TODAY
    async with api_for(intake) as served:
        yield served


async def read_case(api: Api, letter: str, tenant: str = "acme") -> str:
    """A case whose letter the pipeline (run here, in process) has read: extract and route delivered."""
    case_id, run_id = await api.new_task(tenant)
    text = (LETTERS / letter).read_text(encoding="utf-8")
    for stage in run_stages(RunInput(tenant_id=tenant, case_id=case_id, run_id=run_id, letter_pages=[text])).stages:
        await api.intake.on_stage_completed(received(Topic.STAGE_COMPLETED, stage))
    return case_id


async def call(api: Api, method: str, path: str, tenant: str = "acme", **kwargs: Any) -> Any:
    return await api.client.request(method, f"/api/v1{path}", headers=api.auth(tenant), **kwargs)


async def ok(api: Api, method: str, path: str, tenant: str = "acme", **kwargs: Any) -> dict[str, Any]:
    response = await call(api, method, path, tenant, **kwargs)
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_case_is_worked_to_a_decision_and_every_change_is_in_its_history(work_api: Api) -> None:
    api = work_api
    case_id = await read_case(api, "007.txt")  # denied 2024-12-09
    changed = await ok(api, "PATCH", f"/cases/{case_id}", json={"owner": "dana@billing", "status": "in_progress"})
    assert (changed["status"], changed["owner"]) == ("in_progress", "dana@billing")
    note = await ok(api, "POST", f"/cases/{case_id}/notes", json={"text": "Payer rep said resend with modifier"})
    submission = {"level": "appeal", "date": "2025-01-10", "channel": "fax", "documents": ["appeal_letter.md"]}
    submitted = await ok(api, "POST", f"/cases/{case_id}/submissions", json=submission)
    assert (submitted["status"], submitted["level"]) == ("submitted", "appeal")
    decided = await ok(api, "POST", f"/cases/{case_id}/decisions", json={"outcome": "upheld", "date": "2025-01-14"})
    assert (decided["status"], decided["outcome"], decided["amount_recovered"]) == ("decided", "upheld", 0.0)

    history = (await ok(api, "GET", f"/cases/{case_id}/history"))["items"]
    assert [entry["action"] for entry in history] == [
        "owner_changed",
        "status_changed",
        "note_added",
        "submission_recorded",
        "decision_recorded",
    ]
    assert all(entry["by"].startswith("key:") and entry["at"] for entry in history)
    assert history[2]["changes"] == {"note_id": note["note_id"], "text": "Payer rep said resend with modifier"}
    assert history[3]["changes"]["channel"] == "fax"
    case = await ok(api, "GET", f"/cases/{case_id}")
    assert case["work"]["status"] == "decided"
    assert case["work"]["submissions"][0]["documents"] == ["appeal_letter.md"]


@pytest.mark.parametrize(
    ("method", "suffix", "body", "status", "code"),
    [
        ("PATCH", "", {"status": "closed"}, 409, "invalid_transition"),
        ("PATCH", "", {"status": "decided"}, 409, "invalid_transition"),
        ("PATCH", "", {"status": "reopened"}, 422, "invalid_request"),
        ("PATCH", "", {"status": "written_off"}, 422, "reason_required"),
        ("PATCH", "", {}, 422, "invalid_request"),
        ("PATCH", "", {"owner": "x", "colour": "red"}, 422, "invalid_request"),
        ("POST", "/notes", {"text": "x" * 4001}, 422, "invalid_request"),
        ("POST", "/notes", {"text": ""}, 422, "invalid_request"),
        ("POST", "/submissions", {"level": "appeal", "date": "2024-12-01", "channel": "fax"}, 422, "date_out_of_range"),
        ("POST", "/submissions", {"level": "appeal", "date": "2030-01-01", "channel": "fax"}, 422, "date_out_of_range"),
        ("POST", "/submissions", {"level": "sue_them", "date": "2025-01-10", "channel": "fax"}, 422, "invalid_request"),
        ("POST", "/decisions", {"outcome": "overturned", "date": "2025-01-14"}, 409, "invalid_transition"),
    ],
)
async def test_refused_input_answers_4xx_and_changes_nothing(
    work_api: Api, method: str, suffix: str, body: dict[str, Any], status: int, code: str
) -> None:
    case_id = await read_case(work_api, "007.txt")
    before = await ok(work_api, "GET", f"/cases/{case_id}")
    assert_error(await call(work_api, method, f"/cases/{case_id}{suffix}", json=body), status, code)
    assert await ok(work_api, "GET", f"/cases/{case_id}") == before
    assert (await ok(work_api, "GET", f"/cases/{case_id}/history"))["items"] == []


@pytest.mark.parametrize(
    ("decision", "code"),
    [
        ({"outcome": "overturned", "date": "2025-01-14", "amount_recovered": -5}, "invalid_request"),
        ({"outcome": "overturned", "date": "2025-01-14", "amount_recovered": 1e12}, "invalid_request"),
        ({"outcome": "overturned", "date": "2025-01-14", "amount_recovered": 5000}, "amount_out_of_range"),
        ({"outcome": "upheld", "date": "2025-01-09"}, "date_out_of_range"),
    ],
)
async def test_a_decision_with_an_absurd_amount_or_date_changes_nothing(
    work_api: Api, decision: dict[str, Any], code: str
) -> None:
    case_id = await read_case(work_api, "007.txt")  # billed $108
    submission = {"level": "appeal", "date": "2025-01-10", "channel": "portal"}
    await ok(work_api, "POST", f"/cases/{case_id}/submissions", json=submission)
    before = await ok(work_api, "GET", f"/cases/{case_id}")
    assert_error(await call(work_api, "POST", f"/cases/{case_id}/decisions", json=decision), 422, code)
    assert await ok(work_api, "GET", f"/cases/{case_id}") == before


async def test_the_worklist_ranks_open_cases_and_pages_by_cursor(work_api: Api) -> None:
    api = work_api
    near = await read_case(api, "007.txt")  # deadline 2025-03-09
    far = await read_case(api, "009.txt")  # deadline 2025-06-18
    closed = await read_case(api, "017.txt")
    await ok(api, "PATCH", f"/cases/{closed}", json={"status": "written_off", "written_off_reason": "below $100"})
    listed = await ok(api, "GET", "/worklist")
    items = listed["items"]
    assert [i["case_id"] for i in items] == [near, far]
    assert set(items[0]) == {
        "case_id",
        "route",
        "payer",
        "amount_at_stake",
        "next_deadline",
        "days_left",
        "owner",
        "status",
        "priority",
        "priority_reason",
    }
    assert items[0]["next_deadline"] < items[1]["next_deadline"]
    assert items[0]["priority"] >= items[1]["priority"]
    first = await ok(api, "GET", "/worklist", params={"limit": 1})
    second = await ok(api, "GET", "/worklist", params={"limit": 1, "cursor": first["next_cursor"]})
    assert [first["items"][0]["case_id"], second["items"][0]["case_id"]] == [near, far]
    assert second["next_cursor"] is None
    due = await ok(api, "GET", "/worklist", params={"due_before": items[1]["next_deadline"]})
    assert [i["case_id"] for i in due["items"]] == [near]
    await ok(api, "PATCH", f"/cases/{far}", json={"owner": "lee"})
    assert [i["case_id"] for i in (await ok(api, "GET", "/worklist", params={"owner": "lee"}))["items"]] == [far]
    written_off = await ok(api, "GET", "/worklist", params={"status": "written_off"})
    assert [i["case_id"] for i in written_off["items"]] == [closed]
    assert_error(await call(api, "GET", "/worklist", params={"cursor": "bogus"}), 422, "invalid_cursor")


async def test_analytics_count_the_tenants_denials_and_outcomes(work_api: Api) -> None:
    api = work_api
    won = await read_case(api, "007.txt")
    await read_case(api, "009.txt")
    await ok(
        api, "POST", f"/cases/{won}/submissions", json={"level": "appeal", "date": "2024-12-19", "channel": "mail"}
    )
    await ok(
        api,
        "POST",
        f"/cases/{won}/decisions",
        json={"outcome": "overturned", "date": "2025-01-08", "amount_recovered": 50},
    )
    result = await ok(api, "GET", "/analytics", params={"from": "2024-12-01", "to": "2025-01-15"})
    kpis = result["kpis"]
    assert kpis["denials_received"] == 2
    assert (kpis["denials_appealed_pct"], kpis["overturn_rate_pct"]) == (50.0, 100.0)
    assert (kpis["avg_days_denial_to_appeal"], kpis["avg_days_denial_to_resolution"]) == (10.0, 30.0)
    assert kpis["dollars_recovered"] == 50.0
    assert sum(s["denials"] for s in result["slices"]) == 2
    default = await ok(api, "GET", "/analytics")  # the last 90 days before TODAY
    assert (default["from"], default["to"]) == ("2024-10-17", "2025-01-15")
    assert_error(
        await call(api, "GET", "/analytics", params={"from": "2025-02-01", "to": "2025-01-01"}), 422, "invalid_range"
    )


async def test_another_tenants_case_is_not_found_and_absent_from_its_lists(work_api: Api) -> None:
    api = work_api
    case_id = await read_case(api, "007.txt")
    await read_case(api, "009.txt", tenant="globex")
    for method, suffix, body in [
        ("PATCH", "", {"owner": "mallory"}),
        ("POST", "/notes", {"text": "hi"}),
        ("POST", "/submissions", {"level": "appeal", "date": "2025-01-10", "channel": "fax"}),
        ("POST", "/decisions", {"outcome": "upheld", "date": "2025-01-14"}),
        ("GET", "/history", None),
    ]:
        response = await call(api, method, f"/cases/{case_id}{suffix}", tenant="globex", json=body)
        assert_error(response, 404, "not_found")
    assert (await ok(api, "GET", f"/cases/{case_id}/history"))["items"] == [], "nothing was written"
    theirs = await ok(api, "GET", "/worklist", tenant="globex")
    assert case_id not in {i["case_id"] for i in theirs["items"]}
    assert len(theirs["items"]) == 1
    analytics = await ok(api, "GET", "/analytics", tenant="globex", params={"from": "2024-01-01"})
    assert analytics["kpis"]["denials_received"] == 1
