"""835 remittances through the running services: `denialops submit` of an 835 file and a
`remittance.received` event on the broker each make one case per claim that needs work, and each case
runs the whole pipeline (route, deadlines, plan, documents) and shows on the worklist."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from denialops_cli import main
from denialops_shared.contracts.cloudevents import encode
from denialops_shared.contracts.events import RemittanceReceived, auto_run_id
from denialops_shared.contracts.topics import Topic
from tests.e2e.conftest import Stack
from tests.e2e.test_pipeline import wait_for_task
from tests.kafka_helpers import produce

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
runner = CliRunner()


def remittance_cases(client: httpx.Client) -> list[dict[str, Any]]:
    listed = client.get("/api/v1/cases", params={"limit": 200})
    assert listed.status_code == 200, listed.text
    return [c for c in listed.json()["items"] if c["source"] == "remittance"]


def test_the_cli_submits_an_835_and_its_claims_cases_run_the_pipeline(
    stack: Stack, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(main, "console", Console(width=400))
    monkeypatch.setenv("DENIALOPS_API_KEY", stack.api_key)
    before = {c["case_id"] for c in remittance_cases(client)}
    result = runner.invoke(main.app, ["submit", str(FIXTURES / "mixed.835"), "--api-url", stack.intake])
    assert result.exit_code == 0, result.output
    assert "mixed.835: 2 case(s) created, 0 updated, 1 claim(s) skipped" in result.output
    new = [c["case_id"] for c in remittance_cases(client) if c["case_id"] not in before]
    assert len(new) == 2
    for case_id in new:
        assert f"mixed.835 ({case_id})" in result.output
        artifacts = client.get(f"/api/v1/cases/{case_id}/artifacts").json()["items"]
        assert {"case_facts.json", "route.json", "deadlines.json", "action_plan.json"} <= {a["name"] for a in artifacts}
    worklist = client.get("/api/v1/worklist")
    assert worklist.status_code == 200, worklist.text
    assert set(new) <= {item["case_id"] for item in worklist.json()["items"]}
    assert "FAIRWEATHER" not in worklist.text.upper(), "no patient name on the worklist"

    again = runner.invoke(main.app, ["submit", str(FIXTURES / "mixed.835"), "--api-url", stack.intake])
    assert "mixed.835: 0 case(s) created, 0 updated, 3 claim(s) skipped" in again.output


def test_a_remittance_event_on_the_broker_makes_the_same_cases(stack: Stack, client: httpx.Client) -> None:
    before = {c["case_id"] for c in remittance_cases(client)}
    text = (FIXTURES / "group_codes.835").read_text(encoding="ascii")
    event = RemittanceReceived(tenant_id=stack.tenant, case_id="era-e2e-group-codes", text=text)
    asyncio.run(produce(stack.infra.kafka_bootstrap_servers, [encode(Topic.REMITTANCE_RECEIVED, event, source="/e2e")]))
    deadline = time.monotonic() + 60
    while len(new := [c for c in remittance_cases(client) if c["case_id"] not in before]) < 3:
        assert time.monotonic() < deadline, f"{len(new)} of 3 cases after 60 s"
        time.sleep(0.5)
    for case in new:
        assert wait_for_task(client, auto_run_id(case["case_id"]))["status"] == "succeeded"
