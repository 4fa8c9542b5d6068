"""The operations commands against the running stack: status, watch, and dead letters listed,
shown and replayed through the real broker."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from rich.console import Console
from typer.testing import CliRunner

from denialops_cli import dlq, status, watch
from denialops_cli.client import IntakeClient
from denialops_cli.main import app
from denialops_shared.contracts.cloudevents import encode
from denialops_shared.contracts.events import CaseCreated
from denialops_shared.contracts.topics import Topic
from tests.e2e.conftest import Stack
from tests.e2e.test_metrics_coverage import LETTER
from tests.kafka_helpers import collect, headers_of, produce_raw

pytestmark = pytest.mark.e2e

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch, stack: Stack) -> None:
    """Tables wide enough that refs are never cut, and the CLI pointed at this stack."""
    for module in (dlq, status, watch):
        monkeypatch.setattr(module, "console", Console(width=400))
    monkeypatch.setenv("DENIALOPS_API_KEY", stack.api_key)
    monkeypatch.setenv("DENIALOPS_API_URL", stack.intake)
    monkeypatch.setenv("DENIALOPS_HEALTH_URL", stack.urls["health"])
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", stack.infra.kafka_bootstrap_servers)


def test_status_shows_every_service_ready(stack: Stack) -> None:
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    snapshot = json.loads(result.output)
    assert {name for name, s in snapshot["services"].items() if s["ready"]} == {"intake", "router", "llm-worker"}
    assert set(snapshot["configuration"]) == {"health", "intake", "router", "llm-worker"}
    assert runner.invoke(app, ["status"]).exit_code == 0


def test_watch_follows_a_case_until_its_run_finishes(stack: Stack) -> None:
    path = sorted(LETTER.glob("*.txt"))[1]
    with IntakeClient(stack.intake) as client:
        case_id, _ = client.submit(path)
    result = runner.invoke(app, ["watch", case_id])
    assert result.exit_code == 0, result.output
    for stage in ("extract", "route", "plan", "documents"):
        assert stage in result.output
    assert "succeeded" in result.output


def dead_letter_ref(bootstrap: str, topic: Topic, key: bytes) -> str:
    """The first dead letter with `key` (a poison record is dead-lettered by each group that consumes it)."""
    records = asyncio.run(collect(bootstrap, topic.dead_letter, lambda r: r.key == key, count=1, wait_seconds=60))
    record = records[0]
    return f"{record.topic}:{record.partition}:{record.offset}"


def test_a_poison_record_is_listed_and_shown_without_its_content(stack: Stack) -> None:
    bootstrap = stack.infra.kafka_bootstrap_servers
    key = f"case-dlq-{uuid.uuid4().hex[:10]}".encode()
    valid = encode(Topic.CASE_CREATED, CaseCreated(tenant_id=stack.tenant, case_id=key.decode()), source="/e2e")
    asyncio.run(produce_raw(bootstrap, Topic.CASE_CREATED.value, key, b"{not json PHI-MARKER", valid.headers))
    ref = dead_letter_ref(bootstrap, Topic.CASE_CREATED, key)

    listed = runner.invoke(app, ["dlq", "list", "case.created"])
    assert listed.exit_code == 0, listed.output
    line = next(line for line in listed.output.splitlines() if ref in line)
    assert "bad_json" in line
    assert "PHI-MARKER" not in listed.output

    shown = runner.invoke(app, ["dlq", "show", ref])
    assert shown.exit_code == 0, shown.output
    assert "dlq_original_topic" in shown.output
    assert "PHI-MARKER" not in shown.output
    assert "PHI-MARKER" in runner.invoke(app, ["dlq", "show", ref, "--body"]).output


def test_replay_republishes_the_original_record_to_its_topic(stack: Stack) -> None:
    """A dead letter whose cause is gone (here: a valid event parked in the DLQ) goes back to its topic."""
    bootstrap = stack.infra.kafka_bootstrap_servers
    case_id = f"case-replay-{uuid.uuid4().hex[:10]}"
    event = encode(Topic.CASE_CREATED, CaseCreated(tenant_id=stack.tenant, case_id=case_id), source="/e2e")
    parked = {**event.headers, "dlq_error_class": "TimeoutError", "dlq_reason": "x", "dlq_attempts": "3"}
    parked["dlq_original_topic"] = Topic.CASE_CREATED.value
    asyncio.run(produce_raw(bootstrap, Topic.CASE_CREATED.dead_letter, case_id.encode(), event.value, parked))
    ref = dead_letter_ref(bootstrap, Topic.CASE_CREATED, case_id.encode())

    result = runner.invoke(app, ["dlq", "replay", ref])
    assert result.exit_code == 0, result.output
    assert "replayed 1" in result.output
    (record,) = asyncio.run(
        collect(bootstrap, Topic.CASE_CREATED.value, lambda r: r.key == case_id.encode(), count=1, wait_seconds=60)
    )
    assert record.value == event.value
    headers = headers_of(record)
    assert headers["denialops_replayed_from"] == ref
    assert not any(name.startswith("dlq_") for name in headers)
    assert headers["ce_id"] == event.event_id
