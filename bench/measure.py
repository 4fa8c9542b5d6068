"""Pure helpers of the stack benchmark: percentiles, load windows, and /proc readings (CPU time, memory)."""

from __future__ import annotations

import asyncio
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client.parser import text_string_to_metric_families

Outcome = Literal["ok", "failed", "timeout"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks; None when empty.

    An infinite value (a case that never finished) sorts last, so a percentile that lands on it is inf.
    """
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high or ordered[low] == ordered[high]:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_ms(latencies_s: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds, rounded; None for a percentile that is not finite or has no data."""

    def ms(value: float | None) -> float | None:
        return None if value is None or math.isinf(value) else round(value * 1000, 1)

    return {
        "p50_ms": ms(percentile(latencies_s, 50)),
        "p95_ms": ms(percentile(latencies_s, 95)),
        "p99_ms": ms(percentile(latencies_s, 99)),
        "max_ms": ms(max(latencies_s)) if latencies_s else None,
    }


@dataclass(frozen=True, slots=True)
class Sample:
    """One case: when it started (or was scheduled to), when it ended, how, and why when not ok."""

    started: float
    finished: float
    outcome: Outcome
    reason: str = ""

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass
class Sink:
    """Where a load puts its samples; `went_round` is set once `went_round_at` of them arrived (every
    closed-loop client ended a case: steady state)."""

    went_round_at: int = 0
    samples: list[Sample] = field(default_factory=list)
    went_round: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)
        if len(self.samples) >= self.went_round_at:
            self.went_round.set()


def failure_reasons(samples: Iterable[Sample]) -> dict[str, int]:
    """How many cases failed or timed out, per reason."""
    return dict(Counter(s.reason or s.outcome for s in samples if s.outcome != "ok").most_common())


def window_summary(samples: Iterable[Sample], start: float, end: float) -> dict[str, Any]:
    """A closed-loop window [start, end] in steady state: the cases that ended in it, their rate, latency
    and failures (a timed-out case ends at its time-out)."""
    duration = end - start
    ended = [s for s in samples if start <= s.finished <= end]
    ok = [s.seconds for s in ended if s.outcome == "ok"]
    return {
        "cases_per_s": round(len(ok) / duration, 2) if duration > 0 else None,
        "completed": len(ok),
        "failed": sum(1 for s in ended if s.outcome == "failed"),
        "timed_out": sum(1 for s in ended if s.outcome == "timeout"),
        "duration_s": round(duration, 2),
        **latency_ms(ok),
        "failure_reasons": failure_reasons(ended),
    }


def open_loop_summary(samples: Sequence[Sample], offered_per_s: float, duration: float) -> dict[str, Any]:
    """An open-loop run: every arrival counts; one that did not finish well is infinitely slow for p99.

    `achieved_per_s` is the finished cases over the time from the first arrival to the last finish
    (0 when none finished).
    """
    ok = [s for s in samples if s.outcome == "ok"]
    everyone = [s.seconds if s.outcome == "ok" else math.inf for s in samples]
    span = max(s.finished for s in ok) - min(s.started for s in samples) if ok else 0.0
    completed_ms = latency_ms([s.seconds for s in ok])
    return {
        "offered_per_s": offered_per_s,
        "duration_s": duration,
        "arrivals": len(samples),
        "completed": len(ok),
        "failed": sum(1 for s in samples if s.outcome == "failed"),
        "timed_out": sum(1 for s in samples if s.outcome == "timeout"),
        "achieved_per_s": round(len(ok) / span, 2) if span > 0 else 0.0,
        **latency_ms(everyone),
        "p99_ms_of_completed": completed_ms["p99_ms"],
        "failure_reasons": failure_reasons(samples),
    }


# ------------------------------------------------------------------------------------------ /proc


def cpu_ticks(stat: str) -> int:
    """utime + stime (clock ticks, every thread) from the text of /proc/<pid>/stat.

    The command name (field 2) is in parentheses and may contain spaces or parentheses itself, so the
    fields are counted from the last ')'.
    """
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return int(fields[11]) + int(fields[12])


def status_kb(status: str, key: str) -> int | None:
    """A `kB` value (VmRSS, VmHWM, ...) from the text of /proc/<pid>/status; None when absent."""
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name == key:
            return int(value.split()[0])
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) the process used so far; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return cpu_ticks(f.read()) / CLOCK_TICKS
    except (FileNotFoundError, ProcessLookupError):
        return None


def memory_kb(pid: int) -> dict[str, int | None]:
    """Resident set size now (VmRSS) and its peak so far (VmHWM), in kB; empty when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return {"rss_kb": status_kb(text, "VmRSS"), "hwm_kb": status_kb(text, "VmHWM")}


def cpu_delta(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU seconds per instance between two snapshots (instances present in both)."""
    return {name: after[name] - before[name] for name in before.keys() & after.keys()}


def service_of(instance: str) -> str:
    """The service an instance belongs to: `router-2` -> `router` (a replica), `llm-worker` -> itself."""
    name, _, index = instance.rpartition("-")
    return name if name and index.isdigit() else instance


def per_service(values: Mapping[str, float]) -> dict[str, float]:
    """Values per instance summed per service (replicas added up)."""
    totals: dict[str, float] = {}
    for instance, value in values.items():
        service = service_of(instance)
        totals[service] = totals.get(service, 0.0) + value
    return totals


def mongo_commands(exposition: str) -> Counter[tuple[str, str]]:
    """The database commands a service's /metrics page counts, by (command, collection)."""
    found: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(exposition):
        if family.name == "denialops_mongo_commands":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    found[(sample.labels["command"], sample.labels["collection"])] += int(sample.value)
    return found


# ------------------------------------------------------------------------------------------ per case

# The open loop offers this share of the closed-loop capacity: a rate the system can hold, so its
# p50/p99 are latencies in steady state, not the growth of a queue.
OPEN_LOOP_SHARE = 0.8
# The environment variable that selects the local database in deploy/local/infra.sh, and its default.
DATABASE_ENV = "DENIALOPS_DATABASE"
DEFAULT_DATABASE = "ferretdb"


def open_loop_rate(forced: float | None, capacity_per_s: float | None, share: float = OPEN_LOOP_SHARE) -> float | None:
    """The open loop's offered rate, cases/s: `forced` (--open-rate) when given, else `share` of the
    measured closed-loop capacity (the best HTTP level's cases/s); None when neither is known."""
    if forced is not None:
        if forced <= 0:
            raise ValueError("a forced open-loop rate must be positive")
        return forced
    if capacity_per_s is None or capacity_per_s <= 0:
        return None
    return round(capacity_per_s * share, 2)


def per_case_totals(
    server_cpu_s: Mapping[str, float],
    db_commands: int,
    cases: int,
    services: Iterable[str],
    client_cpu_s: float | None = None,
) -> dict[str, float | None]:
    """A measured window's cost per finished case: CPU ms of every server process (all instances in
    `server_cpu_s`: services, broker, database, cache), of the `services` alone, of the load client, and
    the database commands the services sent. None when no case finished."""
    keys = ("cpu_ms_per_case_total", "cpu_ms_per_case_services", "db_commands_per_case_total")
    if cases <= 0:
        return dict.fromkeys((*keys, *(("cpu_ms_per_case_client",) if client_cpu_s is not None else ())))
    by_service = per_service(server_cpu_s)
    totals: dict[str, float | None] = {
        "cpu_ms_per_case_total": round(sum(server_cpu_s.values()) * 1000 / cases, 2),
        "cpu_ms_per_case_services": round(sum(by_service.get(name, 0.0) for name in services) * 1000 / cases, 2),
        "db_commands_per_case_total": round(db_commands / cases, 2),
    }
    if client_cpu_s is not None:
        totals["cpu_ms_per_case_client"] = round(client_cpu_s * 1000 / cases, 2)
    return totals


def database_name(env: Mapping[str, str]) -> str:
    """The local database the stack runs on, as deploy/local/infra.sh is told (`DENIALOPS_DATABASE`)."""
    return env.get(DATABASE_ENV, "").strip() or DEFAULT_DATABASE
