"""`denialops watch CASE`: a case's runs and their stages, live, from intake's server-sent events."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from denialops_cli.client import ApiError, IntakeClient
from denialops_cli.options import DEFAULT_API_URL, ApiUrl

console = Console()
STATUS_STYLE = {"succeeded": "green", "failed": "red", "cancelled": "yellow", "skipped": "dim", "pending": "dim"}


def server_sent_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs from the lines of a text/event-stream (comments and ids ignored)."""
    event, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield event, "\n".join(data)


def progress_table(case_id: str, tasks: dict[str, dict[str, Any]]) -> Table:
    table = Table("task", "status", "stage", "stage status", "ms", title=f"case {case_id}")
    for task_id, task in tasks.items():
        status = task["status"]
        for i, stage in enumerate(task.get("stages", [])):
            stage_status = stage.get("status", "pending")
            style = STATUS_STYLE.get(stage_status, "cyan")
            table.add_row(
                task_id if i == 0 else "",
                f"[{STATUS_STYLE.get(status, 'cyan')}]{status}[/]" if i == 0 else "",
                stage["stage"],
                f"[{style}]{stage_status}[/]",
                f"{stage['duration_ms']:.1f}" if stage.get("duration_ms") is not None else "",
            )
    return table


def follow(client: IntakeClient, case_id: str) -> dict[str, dict[str, Any]]:
    """Render the case's progress until intake says every task finished; returns the last task states."""
    tasks: dict[str, dict[str, Any]] = {}
    with (
        client.http.stream("GET", f"/cases/{case_id}/events", timeout=httpx.Timeout(30, read=None)) as response,
        Live(progress_table(case_id, tasks), console=console, refresh_per_second=8) as live,
    ):
        if response.status_code >= 400:
            response.read()
            raise ApiError(f"HTTP {response.status_code} for case {case_id}")
        for event, data in server_sent_events(response.iter_lines()):
            if event == "task":
                task = json.loads(data)
                tasks[task["task_id"]] = task
                live.update(progress_table(case_id, tasks))
            elif event == "end":
                break
    return tasks


def watch(
    case_id: Annotated[str, typer.Argument(help="The case id (from `denialops submit` or the API).")],
    api_url: ApiUrl = DEFAULT_API_URL,
) -> None:
    """Follow a case live: every run's stages as they complete, until all runs finished."""
    try:
        with IntakeClient(api_url) as client:
            tasks = follow(client, case_id)
    except (ApiError, httpx.HTTPError) as exc:
        console.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from exc
    if any(task["status"] != "succeeded" for task in tasks.values()):
        raise typer.Exit(1)
