"""CPU per case of template generation (the issue's budget: a median of at most 2 ms per case).

    .venv/bin/python -m bench.generation_bench [--repeat 5] [--profile out.prof] [--write out.json] [--check ref.json]

Builds each development letter's inputs once with the router's own stages (`data/corpus` less its
validation fold, plus `data/samples`; the .txt of a letter), parsed as the llm-worker parses them, then
times only `denialops_llm_worker.pipeline.run_stages` without a model (templates only), after one
warm-up pass, `--repeat` times. CPU is the thread's (`time.thread_time`). A case's figure is its median
over the runs; printed: the median over cases and the slowest cases. `--profile` writes a cProfile of
the measured runs.

`--write` saves every case's generated artifacts (name, sha256, content) and grounding reports;
`--check` compares them with such a file and exits 1 on any difference, so a speed-up can be shown to
change no output byte.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

from bench.extraction_bench import development_letters
from denialops_llm_worker.pipeline import GenerationInput, generate, run_stages
from denialops_router.pipeline import RunInput
from denialops_router.pipeline import run_stages as route_stages
from denialops_shared.contracts.artifacts import CaseFacts, Deadlines, RouteDecision

TODAY = dt.date(2025, 1, 15)
STARTED = dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)


def case_inputs() -> dict[str, GenerationInput]:
    """Each development letter's generation input, from the router's extract and route artifacts."""
    inputs = {}
    for name, letter in development_letters():
        case_id = name.replace("/", ".")
        stages = route_stages(
            RunInput(tenant_id="bench", case_id=case_id, run_id=f"run-{case_id}", letter_pages=letter.pages),
            clock=lambda: STARTED,
        ).stages
        contents = {a.name: a.content for stage in stages for a in stage.artifacts}
        if "case_facts.json" not in contents or "route.json" not in contents:
            continue  # the router stopped (e.g. no letter text): the llm-worker never sees such a run
        inputs[name] = GenerationInput(
            tenant_id="bench",
            case_id=case_id,
            run_id=f"run-{case_id}",
            facts=CaseFacts.model_validate_json(contents["case_facts.json"]),
            decision=RouteDecision.model_validate_json(contents["route.json"]),
            today=TODAY,
            deadlines=Deadlines.model_validate_json(contents["deadlines.json"])
            if "deadlines.json" in contents
            else None,
        )
    return inputs


def artifacts(run: GenerationInput) -> dict[str, object]:
    """The case's artifacts as published, and what the grounding check reports of each document."""
    return {
        "artifacts": [
            {"stage": s.stage.value, "name": a.name, "sha256": a.sha256, "content": a.content}
            for s in run_stages(run, clock=lambda: STARTED)
            for a in s.artifacts
        ],
        "ungrounded": generate(run.facts, run.decision, run.today, run.wording, run.deadlines).ungrounded,
    }


def measure(run: GenerationInput) -> float:
    started = time.thread_time()
    run_stages(run, clock=lambda: STARTED)
    return (time.thread_time() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="measured runs over all cases (default 5)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measured runs to this file")
    parser.add_argument("--slowest", type=int, default=5, help="how many of the slowest cases to list")
    parser.add_argument("--write", type=Path, help="save every case's generated artifacts to this JSON file")
    parser.add_argument("--check", type=Path, help="compare every case's artifacts with a file from --write")
    args = parser.parse_args()

    inputs = case_inputs()
    outputs = {name: artifacts(run) for name, run in inputs.items()}  # also the warm-up pass
    if args.write:
        args.write.write_text(json.dumps(outputs, indent=1, sort_keys=True), encoding="utf-8")
    differing = []
    if args.check:
        reference = json.loads(args.check.read_text(encoding="utf-8"))
        differing = sorted(set(reference) ^ set(outputs)) + [
            name for name in sorted(set(reference) & set(outputs)) if reference[name] != outputs[name]
        ]
        print(f"outputs compared with {args.check}: {len(outputs)} cases, {len(differing)} differ {differing[:10]}")

    profiler = cProfile.Profile() if args.profile else None
    runs: dict[str, list[float]] = {name: [] for name in inputs}
    if profiler:
        profiler.enable()
    for _ in range(args.repeat):
        for name, run in inputs.items():
            runs[name].append(measure(run))
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)

    per_case = {name: statistics.median(times) for name, times in runs.items()}
    print(f"{len(inputs)} development cases, {args.repeat} runs, median CPU per case (thread time):")
    print(f"  run_stages (templates) {statistics.median(per_case.values()):6.2f} ms")
    print("slowest cases:")
    for name in sorted(per_case, key=per_case.__getitem__, reverse=True)[: args.slowest]:
        print(f"  {name:<28} {per_case[name]:6.2f} ms")
    if differing:
        sys.exit(1)


if __name__ == "__main__":
    main()
