"""`denialops`: submit letters, watch and fetch cases, run the demo and the accuracy evaluation."""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from denialops_cli import dlq, keys, status, watch
from denialops_cli.client import ApiError, CaseResult, IntakeClient, is_remittance, letter_files
from denialops_cli.evaluation import evaluate, evaluation_json, format_evaluation, run_folder
from denialops_llm_worker.pipeline import generate
from denialops_shared.contracts.artifacts import CaseFacts, RouteDecision

app = typer.Typer(help="DenialOps: claim denials in, decisions and document packs out.", no_args_is_help=True)
app.add_typer(keys.app, name="keys")
app.add_typer(dlq.app, name="dlq")
app.command()(watch.watch)
app.command()(status.status)
console = Console()

ApiUrl = Annotated[str, typer.Option(envvar="DENIALOPS_API_URL", help="Base URL of the intake service.")]
DEFAULT_API_URL = "http://127.0.0.1:8000"


def _process(client: IntakeClient, path: Path) -> list[CaseResult]:
    if is_remittance(path):
        return _process_remittance(client, path)
    case_id, task_id = client.submit(path)
    return [client.result(path, case_id, client.wait(task_id))]


def _process_remittance(client: IntakeClient, path: Path) -> list[CaseResult]:
    """An 835: one row per case its claims created or updated, each once its newest run has finished."""
    answer = client.submit_remittance(path)
    created, updated, skipped = answer["cases_created"], answer["cases_updated"], answer["claims_skipped"]
    console.print(
        f"{path.name}: {len(created)} case(s) created, {len(updated)} updated, {len(skipped)} claim(s) skipped"
    )
    results = []
    for case_id in created + updated:
        task_id = client.newest_task(case_id)
        if task_id is not None:
            results.append(client.result(Path(f"{path.name} ({case_id})"), case_id, client.wait(task_id)))
    return results


def _submit_all(api_url: str, target: Path, concurrency: int) -> list[CaseResult]:
    files = letter_files(target)
    if not files:
        raise typer.BadParameter(f"no .txt or .pdf letters or .835 remittances in {target}")
    results: list[CaseResult] = []
    with IntakeClient(api_url) as client, Progress(console=console, transient=True) as progress:
        bar = progress.add_task("files", total=len(files))
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for found in pool.map(lambda p: _process(client, p), files):
                results.extend(found)
                progress.advance(bar)
    return results


def _table(results: list[CaseResult]) -> Table:
    table = Table("file", "status", "route", "appeal deadline", "artifacts")
    for r in results:
        table.add_row(r.file, r.task["status"], r.route or "-", r.deadline or "-", ", ".join(r.artifacts))
    return table


@app.command()
def submit(
    target: Annotated[
        Path,
        typer.Argument(exists=True, help="A letter (.txt/.pdf), an X12 835 remittance (.835), or a folder of them."),
    ],
    api_url: ApiUrl = DEFAULT_API_URL,
    concurrency: Annotated[int, typer.Option(min=1, max=64)] = 4,
) -> None:
    """Submit letters as new cases and 835 remittances (one case per claim that needs work), wait for their
    runs, and print a summary table."""
    try:
        results = _submit_all(api_url, target, concurrency)
    except ApiError as exc:
        console.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(_table(results))
    if any(r.task["status"] != "succeeded" for r in results):
        raise typer.Exit(1)


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False)] = Path("data/samples/letters"),
    api_url: ApiUrl = DEFAULT_API_URL,
) -> None:
    """Every letter of a folder through the HTTP API: file, route, deadline and artifacts per letter."""
    started = time.perf_counter()
    try:
        results = _submit_all(api_url, folder, concurrency=4)
    except ApiError as exc:
        console.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(_table(results))
    succeeded = sum(r.task["status"] == "succeeded" for r in results)
    console.print(f"{succeeded}/{len(results)} cases succeeded in {time.perf_counter() - started:.1f}s")
    if succeeded != len(results):
        raise typer.Exit(1)


@app.command()
def get(
    case_id: str,
    api_url: ApiUrl = DEFAULT_API_URL,
    out: Annotated[Path | None, typer.Option(help="Write every artifact into this folder.")] = None,
) -> None:
    """List a case's artifacts, or save them with --out."""
    with IntakeClient(api_url) as client:
        try:
            names = client.artifacts(case_id)
            if out is None:
                for name in names:
                    console.print(name)
                return
            out.mkdir(parents=True, exist_ok=True)
            for name in names:
                (out / name).write_text(client.artifact(case_id, name), encoding="utf-8")
        except ApiError as exc:
            console.print(f"[red]error[/red] {exc}")
            raise typer.Exit(1) from exc
    console.print(f"{len(names)} artifacts written to {out}")


@app.command("eval")
def evaluate_folder(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="DIR with letters/ (+ labels.jsonl).")],
    predictions_out: Annotated[
        Path | None,
        typer.Option(
            help="Write one JSON object per letter, with the keys of labels.jsonl (never the validation fold)."
        ),
    ] = None,
    today: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="The date deadlines count from.")
    ] = None,
    text_only: Annotated[
        bool, typer.Option("--text-only", help="Read each letter's .txt instead of its PDF (no OCR; faster).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON instead of tables.")] = False,
) -> None:
    """Accuracy of extraction, routing and document grounding over a (labelled) folder of letters.

    A folder with validation.txt has its validation fold scored apart: scores only, no mismatches.
    """
    as_of = today.date() if today else dt.date.today()

    def grounding(facts: CaseFacts, decision: RouteDecision) -> list[bool]:
        return [not found for found in generate(facts, decision, as_of).ungrounded.values()]

    if (folder / "labels.jsonl").exists():
        evaluation = evaluate(folder, grounding, text_only)
        if as_json:
            print(json.dumps(evaluation_json(evaluation), indent=2))
        else:
            console.print(format_evaluation(evaluation), highlight=False, soft_wrap=True)
        predictions = evaluation.development.predictions
    else:
        predictions = run_folder(folder, grounding, text_only).predictions
        console.print(f"{len(predictions)} letters read; no labels.jsonl, so nothing to score")
    if predictions_out is not None:
        lines = [json.dumps(row, ensure_ascii=False) for row in predictions]
        predictions_out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        if not as_json:
            console.print(f"predictions written to {predictions_out}")


if __name__ == "__main__":
    app()
