"""CPU per letter of extraction + routing (the issue's budget: a median of at most 5 ms per letter).

    .venv/bin/python -m bench.extraction_bench [--repeat 5] [--profile out.prof]

Runs `extract_case_facts` and then `decide_route` on the development letters (`data/corpus` less its
validation fold, plus `data/samples`; the .txt of a letter, no OCR) after one warm-up pass, `--repeat`
times. Before each run the `functools` caches are emptied, so a run sees what one pass of `denialops
eval` sees (values cached from earlier letters only, never a letter's own from a previous run). CPU is
the thread's (`time.thread_time`): other processes on a shared machine inflate it less than wall time.
A letter's figure is its median over the runs; printed: the median over letters per stage (extract,
route, both) and the slowest letters. `--profile` writes a cProfile of the measured runs.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import statistics
import time
from pathlib import Path

from denialops_cli.evaluation import Letter, load_letters, load_validation_fold
from denialops_router.domain.extract import extract_case_facts
from denialops_router.domain.routing import decide_route

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = (ROOT / "data" / "corpus", ROOT / "data" / "samples")


def development_letters() -> list[tuple[str, Letter]]:
    """(folder/file, letter) for every development letter: the validation fold is never read."""
    letters = []
    for folder in FOLDERS:
        held_out = load_validation_fold(folder)
        letters += [
            (f"{folder.name}/{letter.file}", letter)
            for letter in load_letters(folder, text_only=True)
            if letter.file not in held_out
        ]
    return letters


def measure(letter: Letter) -> tuple[float, float]:
    """(extract, route) CPU milliseconds for one letter."""
    started = time.thread_time()
    facts = extract_case_facts(letter.pages)
    extracted = time.thread_time()
    decide_route(facts, letter.pages)
    return (extracted - started) * 1000, (time.thread_time() - extracted) * 1000


def clear_caches() -> None:
    """Empty every `functools.lru_cache` (names, phone numbers, labels) as a fresh process has them."""
    for cached in gc.get_objects():
        if isinstance(cached, functools._lru_cache_wrapper):
            cached.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="measured runs over all letters (default 5)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measured runs to this file")
    parser.add_argument("--slowest", type=int, default=5, help="how many of the slowest letters to list")
    args = parser.parse_args()

    letters = development_letters()
    for _, letter in letters:  # warm-up: compiled patterns, lazily built tables, the route model
        measure(letter)
    profiler = cProfile.Profile() if args.profile else None
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in letters}
    if profiler:
        profiler.enable()
    for _ in range(args.repeat):
        clear_caches()
        for name, letter in letters:
            runs[name].append(measure(letter))
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)

    extract = {name: statistics.median(e for e, _ in times) for name, times in runs.items()}
    route = {name: statistics.median(r for _, r in times) for name, times in runs.items()}
    total = {name: statistics.median(e + r for e, r in times) for name, times in runs.items()}
    print(f"{len(letters)} development letters, {args.repeat} runs, median CPU per letter (thread time):")
    for stage, per_letter in (("extract", extract), ("route", route), ("extract + route", total)):
        print(f"  {stage:<16} {statistics.median(per_letter.values()):6.2f} ms")
    print("slowest letters (extract + route):")
    for name in sorted(total, key=total.__getitem__, reverse=True)[: args.slowest]:
        print(f"  {name:<28} {total[name]:6.2f} ms (extract {extract[name]:.2f}, route {route[name]:.2f})")


if __name__ == "__main__":
    main()
