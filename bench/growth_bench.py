"""Does the stack slow down as its data grows? Many cases through Kafka, throughput and cost per block.

    .venv/bin/python -m bench.growth_bench [--cases 20000] [--block 1000]   (or `make bench-growth`)

Starts a stack of its own (as `make bench` does), then publishes upstream cases (case.created +
document.added) straight to Kafka with a fixed number in flight until `--cases` have finished, each
finished as `make bench` defines it. Every block of `--block` finished cases records its throughput,
latency, the CPU seconds per case of each process, and the per-case totals of `make bench`: CPU ms of
all server processes (`cpu_ms_per_case_total`) and database commands (`db_commands_per_case_total`).
The databases keep every case, so the last block runs against all the data the earlier ones left: the
report compares the last block with the first.

Long by design (20,000 cases take about half an hour on 2 cores), so it is not part of `make bench`;
bounded by --max-minutes all the same. `--cases 2000 --block 500` is a short run (a few minutes).
Loopback only. Results go to bench/results/growth.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import Any

from bench.measure import cpu_delta, database_name, latency_ms, per_case_totals, per_service
from bench.stack_bench import (
    CONSUMING,
    BenchDeployment,
    KafkaIngress,
    Probe,
    git_commit,
    server_names,
    timed_case,
    write_results,
)
from tests.system.harness import ScriptFailed
from tests.system.load import LETTERS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "growth.json"


@dataclass(frozen=True)
class Options:
    cases: int
    block: int
    in_flight: int
    case_timeout: float
    max_minutes: float
    output: Path

    @classmethod
    def parse(cls, argv: list[str] | None = None) -> Options:
        parser = argparse.ArgumentParser(prog="python -m bench.growth_bench", description=__doc__.splitlines()[0])
        parser.add_argument("--cases", type=int, default=20_000, help="finished cases to run in all")
        parser.add_argument("--block", type=int, default=1_000, help="finished cases per measured block")
        parser.add_argument("--in-flight", type=int, default=16, help="cases in flight")
        parser.add_argument("--case-timeout", type=float, default=60, help="a case not finished by then failed")
        parser.add_argument("--max-minutes", type=float, default=45, help="hard bound on the whole run")
        parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON results go")
        args = parser.parse_args(argv)
        if args.block < 1 or args.cases < 2 * args.block:
            parser.error("--cases must be at least two blocks")
        return cls(args.cases, args.block, args.in_flight, args.case_timeout, args.max_minutes, args.output)


@dataclass
class Block:
    """One block of finished cases: when it began and ended, its cases' latencies, CPU per process and
    the database commands sent (counters read when it began)."""

    started: float
    cpu_before: dict[str, float]
    db_before: Counter[tuple[str, str, str]]
    latencies_s: list[float]
    failed: int = 0

    def report(
        self,
        index: int,
        ended: float,
        cpu_after: dict[str, float],
        db_after: Counter[tuple[str, str, str]],
        names: tuple[str, ...],
    ) -> dict[str, Any]:
        cases = len(self.latencies_s)
        seconds = ended - self.started
        by_instance = cpu_delta(self.cpu_before, cpu_after)
        cpu = per_service(by_instance)
        latency = latency_ms(self.latencies_s)
        db_commands = sum((db_after - self.db_before).values())
        return {
            "block": index,
            "cases": cases,
            "failed": self.failed,
            "cases_per_s": round(cases / seconds, 2) if seconds > 0 else None,
            "p50_ms": latency["p50_ms"],
            "p99_ms": latency["p99_ms"],
            "cpu_s_per_case": {name: round(cpu[name] / cases, 5) for name in names if name in cpu and cases},
            **per_case_totals(by_instance, db_commands, cases, CONSUMING),
        }


async def run_cases(
    deployment: BenchDeployment, probe: Probe, opts: Options, deadline: float, database: str
) -> list[dict[str, Any]]:
    loop = asyncio.get_running_loop()
    letters = cycle(LETTERS)
    names = server_names(database)
    blocks: list[dict[str, Any]] = []
    # The counters are read on the event loop on purpose (three local scrapes per block of 1,000 cases):
    # a block's boundary is then one instant for its cases, its CPU and its database commands.
    block = Block(loop.time(), probe.cpu(), probe.db_commands(), [])
    finished = 0

    async with KafkaIngress(deployment.kafka_bootstrap, deployment.tenant, deployment.group("intake")) as ingress:

        async def client() -> None:
            nonlocal block, finished
            while finished < opts.cases and time.monotonic() < deadline:
                sample = await timed_case(ingress.run, next(letters), opts.case_timeout)
                if sample.outcome != "ok":
                    block.failed += 1
                    continue
                block.latencies_s.append(sample.seconds)
                finished += 1
                if len(block.latencies_s) == opts.block:
                    now, cpu, db = loop.time(), probe.cpu(), probe.db_commands()
                    done = block.report(len(blocks) + 1, now, cpu, db, names)
                    blocks.append(done)
                    print(
                        f"[{finished:>6} cases] block {done['block']}: {done['cases_per_s']} cases/s, "
                        f"p50 {done['p50_ms']} ms, p99 {done['p99_ms']} ms, failed {done['failed']}, "
                        f"{database} {done['cpu_s_per_case'].get(database)} CPU s/case, all servers "
                        f"{done['cpu_ms_per_case_total']} CPU ms/case, {done['db_commands_per_case_total']} "
                        "database commands/case",
                        flush=True,
                    )
                    block = Block(now, cpu, db, [])

        await asyncio.gather(*(client() for _ in range(opts.in_flight)))
    return blocks


def summary(blocks: list[dict[str, Any]], database: str) -> dict[str, Any]:
    if len(blocks) < 2:
        return {"complete_blocks": len(blocks)}
    first, last = blocks[0], blocks[-1]
    # The first block includes the JIT/cache warm-up of every process; the second is the fairer baseline.
    baseline = blocks[1] if len(blocks) > 2 else first
    return {
        "complete_blocks": len(blocks),
        "first_block_cases_per_s": first["cases_per_s"],
        "baseline_block": baseline["block"],
        "baseline_cases_per_s": baseline["cases_per_s"],
        "last_block_cases_per_s": last["cases_per_s"],
        "last_vs_baseline": round(last["cases_per_s"] / baseline["cases_per_s"], 3),
        "median_block_cases_per_s": statistics.median(b["cases_per_s"] for b in blocks),
        "ferretdb_cpu_s_per_case_baseline_vs_last": [
            baseline["cpu_s_per_case"].get("ferretdb"),
            last["cpu_s_per_case"].get("ferretdb"),
        ],
        "database_cpu_s_per_case_baseline_vs_last": [
            baseline["cpu_s_per_case"].get(database),
            last["cpu_s_per_case"].get(database),
        ],
        "cpu_ms_per_case_total_baseline_vs_last": [baseline["cpu_ms_per_case_total"], last["cpu_ms_per_case_total"]],
        "db_commands_per_case_total_baseline_vs_last": [
            baseline["db_commands_per_case_total"],
            last["db_commands_per_case_total"],
        ],
    }


def main(argv: list[str] | None = None) -> int:
    opts = Options.parse(argv)
    started = time.monotonic()
    deadline = started + opts.max_minutes * 60
    state_dir = Path(tempfile.mkdtemp(prefix="denialops-growth-"))
    deployment = BenchDeployment.for_bench(state_dir)
    probe = Probe(state_dir / "pids", {name: deployment.url(name) for name in CONSUMING})
    database = database_name(os.environ)
    results: dict[str, Any] = {
        "meta": {
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "git_commit": git_commit(),
            "cpus": os.cpu_count(),
            "load_at_start": round(os.getloadavg()[0], 2),
            "database": database,
            "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
        }
    }
    try:
        try:
            deployment.start()
        except ScriptFailed as exc:
            raise SystemExit(f"the stack did not start: {exc}") from exc
        print(
            f"stack ready on {database} after {time.monotonic() - started:.1f} s; {opts.cases} cases, "
            f"{opts.in_flight} in flight"
        )
        blocks = asyncio.run(run_cases(deployment, probe, opts, deadline, database))
        data_mb = sum(f.stat().st_size for f in (state_dir / database).rglob("*") if f.is_file()) / 2**20
        results.update({"blocks": blocks, "summary": summary(blocks, database), "database_mb": round(data_mb, 1)})
        results["meta"]["total_s"] = round(time.monotonic() - started, 1)
    finally:
        deployment.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
    write_results(opts.output, results)
    print(f"summary: {results['summary']}; database {results.get('database_mb')} MB; written to {opts.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
