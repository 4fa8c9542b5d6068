"""The operations commands: every command answers --help; dead-letter, SSE and status logic without infra."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from denialops_cli import dlq, status, watch
from denialops_cli.main import app

runner = CliRunner()


def command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group, as the words that invoke it (typer's click groups have `commands`)."""
    paths = [prefix]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def test_every_command_answers_help() -> None:
    paths = command_paths(typer.main.get_command(app))
    assert {("watch",), ("status",), ("dlq", "list"), ("dlq", "show"), ("dlq", "replay"), ("keys",)} <= set(paths)
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output


def letter(**headers: str) -> dlq.DeadLetter:
    record = SimpleNamespace(
        topic="case.created.dlq",
        partition=2,
        offset=7,
        timestamp=1_700_000_000_000,
        key=b"case-1",
        value=b"{}",
        headers=[(k, v.encode()) for k, v in headers.items()],
    )
    return dlq.DeadLetter.from_record(record)


def test_a_dead_letter_is_named_by_topic_partition_and_offset() -> None:
    found = letter(dlq_original_topic="case.created", dlq_error_class="bad_json")
    assert found.ref == "case.created.dlq:2:7"
    assert dlq.parse_ref(found.ref) == ("case.created.dlq", 2, 7)
    assert dlq.parse_ref("case.created:2:7") == ("case.created.dlq", 2, 7)
    assert found.original_topic == "case.created"


def test_unknown_topics_are_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        dlq.dead_letter_topic("nope")


def test_replay_restores_the_original_headers_and_says_where_it_came_from() -> None:
    found = letter(
        ce_id="e-1",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        dlq_error_class="schema_invalid",
        dlq_reason="x",
        dlq_attempts="0",
        dlq_original_topic="case.created",
        dlq_original_partition="2",
        dlq_original_offset="5",
        denialops_replayed_from="case.created.dlq:0:1",
    )
    assert dlq.replay_headers(found) == {
        "ce_id": "e-1",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "denialops_replayed_from": "case.created.dlq:2:7",
    }


def test_the_list_never_shows_the_record_value() -> None:
    console = Console(width=200, record=True)
    console.print(dlq.letters_table([letter(dlq_error_class="bad_json", dlq_reason="body is not valid JSON")]))
    text = console.export_text()
    assert "case.created.dlq:2:7" in text
    assert "bad_json" in text
    assert "{}" not in text


def test_server_sent_events_are_parsed_into_events() -> None:
    lines = [": ping", "event: task", 'data: {"a":', "data: 1}", "", "event: end", "data: {}", ""]
    assert list(watch.server_sent_events(lines)) == [("task", '{"a":\n1}'), ("end", "{}")]


def test_the_progress_table_shows_each_stage() -> None:
    task = {
        "task_id": "run-1",
        "status": "running",
        "stages": [
            {"stage": "extract", "status": "succeeded", "duration_ms": 3.25},
            {"stage": "route", "status": "pending"},
        ],
    }
    console = Console(width=200, record=True)
    console.print(watch.progress_table("case-1", {"run-1": task}))
    text = console.export_text()
    assert "extract" in text
    assert "3.2" in text
    assert "pending" in text


def test_status_renders_services_dependencies_and_lag_totals() -> None:
    snapshot = {
        "status": "degraded",
        "services": {
            "intake": {"ready": True, "detail": {"checks": {"kafka": True, "database": True}}},
            "router": {"ready": False, "error": "ConnectError"},
        },
        "dependencies": {"kafka": True, "database": True},
        "optional_dependencies": {"redis": False},
        "consumer_lag": [
            {"group": "denialops-router", "topic": "document.added", "partition": 0, "lag": 2},
            {"group": "denialops-router", "topic": "document.added", "partition": 1, "lag": 3},
        ],
    }
    console = Console(width=200, record=True)
    for table in status.render(snapshot):
        console.print(table)
    text = console.export_text()
    assert "degraded" in text
    assert "ConnectError" in text
    assert "denialops-router" in text
    assert " 5 " in text
    assert "(health) redis" in text
    assert "optional (LLM cache)" in text
