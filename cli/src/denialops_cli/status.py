"""`denialops status`: the health service's aggregate (services, dependencies, consumer lag)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from denialops_cli.options import DEFAULT_HEALTH_URL, HealthUrl

console = Console()


def fetch(health_url: str) -> dict[str, Any]:
    """`GET /health`: 200 when everything is up, 503 (with the same body) when something is not."""
    response = httpx.get(f"{health_url.rstrip('/')}/health", timeout=10)
    if response.status_code not in (200, 503):
        response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def render(snapshot: dict[str, Any]) -> list[Table]:
    services = Table("service", "ready", "checks", title=f"DenialOps: {snapshot['status']}")
    for name, state in snapshot["services"].items():
        detail = state.get("detail")
        checks = detail.get("checks", {}) if isinstance(detail, dict) else {}
        text = ", ".join(f"{dep} {'up' if ok else 'DOWN'}" for dep, ok in checks.items()) or state.get("error", "")
        services.add_row(name, "[green]yes[/]" if state["ready"] else "[red]NO[/]", text)
    for name, ok in snapshot["dependencies"].items():
        services.add_row(f"(health) {name}", "[green]yes[/]" if ok else "[red]NO[/]", "")
    # A Redis outage costs cache hits, not health: shown, but not what makes the status degraded.
    for name, ok in snapshot.get("optional_dependencies", {}).items():
        services.add_row(f"(health) {name}", "[green]yes[/]" if ok else "[red]NO[/]", "optional (LLM cache)")
    totals: dict[tuple[str, str], int] = {}
    for item in snapshot["consumer_lag"]:
        key = (item["group"], item["topic"])
        totals[key] = totals.get(key, 0) + int(item["lag"])
    lag = Table("group", "topic", "lag", title="consumer lag")
    for (group, topic), total in sorted(totals.items()):
        lag.add_row(group, topic, str(total))
    return [services, lag]


def status(
    health_url: HealthUrl = DEFAULT_HEALTH_URL,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw aggregate JSON.")] = False,
) -> None:
    """Is DenialOps up? Readiness of every service and dependency, and Kafka consumer lag; exit 1 when degraded."""
    try:
        snapshot = fetch(health_url)
    except httpx.HTTPError as exc:
        console.print(f"[red]error[/red] health service not reachable at {health_url}: {type(exc).__name__}")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(snapshot, indent=2))
    else:
        for table in render(snapshot):
            console.print(table)
    if snapshot["status"] != "ok":
        raise typer.Exit(1)
