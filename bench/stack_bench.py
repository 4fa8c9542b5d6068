"""Whole-stack benchmark: a DenialOps deployment of its own, measured part by part, then stopped.

    .venv/bin/python -m bench.stack_bench [--quick] [--http-seconds 10] ...   (or `make bench`)

Starts Kafka, FerretDB and the four services on free loopback ports with a temporary state directory
(`tests.system.harness.Deployment`, so nothing else on the machine is disturbed), topics with 6
partitions, then, each part after a warm-up and for a fixed time:

- http: closed loop at concurrency 1, 4, 16, 64; a case is create + upload a sample letter + wait on
  the case's SSE stream (`GET /cases/{id}/events`) until its run is terminal; then (last, see below)
  an open loop at a fixed arrival schedule of 80 % of the best level's cases/s (or `--open-rate`).
  The load runs in a lean process of its own (`bench/loadgen`, Go; see `bench.http_load`), whose CPU
  per case is reported beside the servers'.
- kafka: upstream events (case.created + document.added) published straight to Kafka with a bounded
  number in flight; a case is finished when intake has recorded its run's final stage: its final
  stage.completed record was read (an own consumer, no group) and intake's group committed past it.
- scale_out: the Kafka run again with 2 replicas of router and llm-worker in the same consumer groups.
- llm: `bench.llm_bench` (the llm-worker's LLM path against the fake server at 500 ms per call).
- per service: CPU seconds per case over the measured windows (/proc/<pid>/stat), idle and peak RSS,
  and the largest consumer lag seen (sampled every second); per measured part, the CPU ms per case of
  all server processes together (`cpu_ms_per_case_total`), of the services, of the load client, and
  the database commands per case (`db_commands_per_case_total`).

The open loop runs last on the stack because at an offered load above capacity it leaves a backlog
behind. Results go to bench/results/latest.json and a table on stdout. The whole run is bounded by
--budget-seconds (default 300): whatever did not fit is reported as skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path
from typing import Any, Protocol

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench import llm_bench
from bench.http_load import GoLoad
from bench.measure import (
    OPEN_LOOP_SHARE,
    Outcome,
    Sample,
    Sink,
    cpu_delta,
    cpu_seconds,
    database_name,
    failure_reasons,
    memory_kb,
    mongo_commands,
    open_loop_rate,
    open_loop_summary,
    per_case_totals,
    per_service,
    service_of,
    window_summary,
)
from denialops_shared.contracts.events import FINAL_STAGE
from denialops_shared.contracts.topics import Topic
from tests.support.ports import free_port
from tests.system.harness import Deployment, ScriptFailed
from tests.system.load import LETTERS, Letter, upstream_events

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
PARTITIONS = 6
CONSUMING = ("intake", "router", "llm-worker")


def server_names(database: str) -> tuple[str, ...]:
    """The server processes reported one by one: the services, Kafka and the database."""
    return ("intake", "router", "llm-worker", "health", "kafka", database)


OUTCOMES = ("ok", "failed", "timeout")
FAILED_STAGE_STATUSES = {"failed", "cancelled"}
FINISHED_STAGE_STATUSES = {"succeeded", "skipped"}
# Time kept back from the stack phases for stopping the stack and for the LLM phase.
STOP_ALLOWANCE_SECONDS = 20.0


@dataclass(frozen=True)
class Options:
    quick: bool
    concurrencies: tuple[int, ...]
    warmup_seconds: float
    http_seconds: float
    open_rate: float | None
    open_seconds: float
    kafka_seconds: float
    kafka_in_flight: int
    scale_seconds: float
    case_timeout: float
    settle_seconds: float
    llm_seconds: float
    llm_samples: int
    llm_latency_ms: float
    budget_seconds: float
    output: Path
    keep_state: bool

    @classmethod
    def parse(cls, argv: list[str] | None = None) -> Options:
        parser = argparse.ArgumentParser(
            prog="python -m bench.stack_bench",
            description="Benchmark a DenialOps stack of its own (loopback only, bounded in time).",
        )
        parser.add_argument("--quick", action="store_true", help="a short smoke run (about 2 minutes)")
        parser.add_argument("--concurrency", help="HTTP closed-loop levels, comma-separated (1,4,16,64; quick 1,16)")
        parser.add_argument("--warmup-seconds", type=float, help="before each measured part (default 2, quick 1)")
        parser.add_argument("--http-seconds", type=float, help="each HTTP concurrency level (default 8, quick 3)")
        parser.add_argument(
            "--open-rate", type=float, help="open-loop offered load, cases/s (default 80 %% of the best HTTP level's)"
        )
        parser.add_argument("--open-seconds", type=float, help="open-loop arrivals (default 6, quick 2)")
        parser.add_argument("--kafka-seconds", type=float, help="Kafka ingress run (default 12, quick 4)")
        parser.add_argument("--kafka-in-flight", type=int, default=16, help="Kafka cases in flight")
        parser.add_argument("--scale-seconds", type=float, help="scale-out run with 2 replicas (default 12, quick 4)")
        parser.add_argument("--case-timeout", type=float, default=30, help="a case not finished by then failed")
        parser.add_argument(
            "--settle-seconds", type=float, help="at most this long for the consumers to catch up between parts"
        )
        parser.add_argument("--llm-seconds", type=float, help="each LLM bound (default 3, quick 1)")
        parser.add_argument("--llm-samples", type=int, help="cache hits to time (default 2000, quick 300)")
        parser.add_argument("--llm-latency-ms", type=float, default=500, help="fake model latency per call")
        parser.add_argument("--budget-seconds", type=float, default=300, help="hard bound on the whole run")
        parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON results go")
        parser.add_argument("--keep-state", action="store_true", help="keep the stack's state dir (logs) after")
        args = parser.parse_args(argv)
        quick = bool(args.quick)

        def pick(value: float | None, full: float, short: float) -> float:
            return float(value) if value is not None else (short if quick else full)

        levels = args.concurrency or ("1,16" if quick else "1,4,16,64")
        concurrencies = tuple(int(c) for c in str(levels).split(",") if c.strip())
        if not concurrencies or min(concurrencies) < 1:
            parser.error("--concurrency needs positive integers")
        if args.open_rate is not None and args.open_rate <= 0:
            parser.error("--open-rate must be positive")
        return cls(
            quick=quick,
            concurrencies=concurrencies,
            warmup_seconds=pick(args.warmup_seconds, 2, 1),
            http_seconds=pick(args.http_seconds, 8, 3),
            open_rate=None if args.open_rate is None else float(args.open_rate),
            open_seconds=pick(args.open_seconds, 6, 2),
            kafka_seconds=pick(args.kafka_seconds, 12, 4),
            kafka_in_flight=int(args.kafka_in_flight),
            scale_seconds=pick(args.scale_seconds, 12, 4),
            case_timeout=float(args.case_timeout),
            settle_seconds=pick(args.settle_seconds, 20, 10),
            llm_seconds=pick(args.llm_seconds, 3, 1),
            llm_samples=int(pick(args.llm_samples, 2000, 300)),
            llm_latency_ms=float(args.llm_latency_ms),
            budget_seconds=float(args.budget_seconds),
            output=args.output,
            keep_state=bool(args.keep_state),
        )


# ------------------------------------------------------------------------------------ processes


class Probe:
    """CPU time and memory of every process of the deployment, by instance name (`router-2`, `kafka`)."""

    def __init__(self, pid_dir: Path, metrics_urls: Mapping[str, str]) -> None:
        self.pid_dir = pid_dir
        self.metrics_urls = metrics_urls
        self.peak_kb: dict[str, int] = {}

    def pids(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for path in sorted(self.pid_dir.glob("*.pid")):
            name = path.stem.removeprefix("service-")
            with contextlib.suppress(ValueError, OSError):
                found[name] = int(path.read_text().strip())
        return found

    def cpu(self) -> dict[str, float]:
        snapshot = {name: cpu_seconds(pid) for name, pid in self.pids().items()}
        return {name: value for name, value in snapshot.items() if value is not None}

    def rss_mb(self) -> dict[str, float]:
        return {
            name: round(kb / 1024, 1)
            for name, pid in self.pids().items()
            if (kb := memory_kb(pid).get("rss_kb")) is not None
        }

    def db_commands(self) -> Counter[tuple[str, str, str]]:
        """Database commands each service has sent so far, by (service, command, collection)."""
        found: Counter[tuple[str, str, str]] = Counter()
        for service, url in self.metrics_urls.items():
            try:
                text = httpx.get(f"{url}/metrics", timeout=5).text
            except httpx.HTTPError:
                continue
            for (command, collection), count in mongo_commands(text).items():
                found[(service, command, collection)] += count
        return found

    def record_peaks(self) -> None:
        """VmHWM is the process's peak so far; kept here so a replica's survives its exit."""
        for name, pid in self.pids().items():
            if (kb := memory_kb(pid).get("hwm_kb")) is not None:
                self.peak_kb[name] = max(self.peak_kb.get(name, 0), kb)


@dataclass
class Window:
    """A measured window: its CPU seconds per server instance, the load client's and (when the client
    is a process of its own) this process's, the database commands, and the cases in it."""

    cpu: dict[str, float] = field(default_factory=dict)
    client_cpu: float = 0.0
    driver_cpu: float | None = None
    cases: int = 0
    db_commands: Counter[tuple[str, str, str]] = field(default_factory=Counter)


def _client_cpu(client_pid: int | None) -> float:
    return time.process_time() if client_pid is None else (cpu_seconds(client_pid) or 0.0)


@contextlib.asynccontextmanager
async def measured(probe: Probe, window: Window, client_pid: int | None = None) -> AsyncIterator[None]:
    """Measure `window`; the load client is this process, or the process `client_pid`."""
    # The scrapes are HTTP calls: in a thread, so the load's event loop does not wait for them.
    db_before = await asyncio.to_thread(probe.db_commands)
    before, client_before, driver_before = probe.cpu(), _client_cpu(client_pid), time.process_time()
    try:
        yield
    finally:
        window.cpu = cpu_delta(before, probe.cpu())
        window.client_cpu = _client_cpu(client_pid) - client_before
        if client_pid is not None:
            window.driver_cpu = time.process_time() - driver_before
        window.db_commands = await asyncio.to_thread(probe.db_commands) - db_before


def per_case(window: Window) -> dict[str, float | None]:
    if window.cases == 0:
        return {}
    result: dict[str, float | None] = {
        name: round(seconds / window.cases, 5) for name, seconds in sorted(per_service(window.cpu).items())
    }
    result["bench-client"] = round(window.client_cpu / window.cases, 5)
    if window.driver_cpu is not None:
        result["bench-driver"] = round(window.driver_cpu / window.cases, 5)
    return result


def window_totals(window: Window) -> dict[str, float | None]:
    """`per_case_totals` of a measured window."""
    return per_case_totals(window.cpu, sum(window.db_commands.values()), window.cases, CONSUMING, window.client_cpu)


# ------------------------------------------------------------------------------------ consumer lag


class LagSampler:
    """Samples the committed-offset lag of the services' consumer groups every `interval` seconds."""

    def __init__(self, bootstrap: str, group_prefix: str, interval: float = 1.0) -> None:
        self.bootstrap = bootstrap
        self.groups = {f"{group_prefix}-{name}": name for name in CONSUMING}
        self.interval = interval
        self.phase = "start"
        self.samples = 0
        self.max_by_group: dict[str, int] = {}
        self.max_by_phase: dict[str, int] = {}
        self.max_partition = 0
        self.errors = 0
        self.latest_total = -1
        self.sampled_at = -math.inf

    async def run(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="denialops-bench-lag")
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, client_id="denialops-bench-lag")
        await admin.start()
        await consumer.start()
        try:
            while True:
                try:
                    await asyncio.wait_for(self.sample(admin, consumer), timeout=5)
                except Exception:
                    self.errors += 1
                await asyncio.sleep(self.interval)
        finally:
            await consumer.stop()
            await admin.close()

    async def sample(self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer) -> None:
        committed: dict[str, dict[TopicPartition, int]] = {}
        for group, service in self.groups.items():
            offsets = await admin.list_consumer_group_offsets(group)
            committed[service] = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        partitions = {tp for offsets in committed.values() for tp in offsets}
        if not partitions:
            return
        ends = await consumer.end_offsets(list(partitions))
        self.samples += 1
        self.sampled_at = asyncio.get_running_loop().time()
        self.latest_total = 0
        for service, offsets in committed.items():
            lags = [max(0, ends[tp] - offset) for tp, offset in offsets.items() if tp in ends]
            total = sum(lags)
            self.latest_total += total
            self.max_by_group[service] = max(self.max_by_group.get(service, 0), total)
            self.max_by_phase[self.phase] = max(self.max_by_phase.get(self.phase, 0), total)
            self.max_partition = max(self.max_partition, *lags, 0)

    async def settle(self, max_seconds: float) -> float:
        """Wait (at most `max_seconds`) until a fresh sample shows every group caught up; seconds waited."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        while loop.time() - began < max_seconds:
            await asyncio.sleep(self.interval / 4)
            if self.sampled_at > began and self.latest_total == 0:
                break
        return round(loop.time() - began, 1)

    def report(self) -> dict[str, Any]:
        return {
            "max_messages": max(self.max_by_group.values(), default=0),
            "max_messages_one_partition": self.max_partition,
            "by_service": dict(sorted(self.max_by_group.items())),
            "by_phase": self.max_by_phase,
            "samples": self.samples,
            "interval_s": self.interval,
            "sample_errors": self.errors,
        }


# ------------------------------------------------------------------------------------ load


# Runs one case: None when it succeeded, else why it did not (short, no content: "http 503", "run failed").
CaseRunner = Callable[[Letter], Awaitable[str | None]]


async def timed_case(run: CaseRunner, letter: Letter, case_timeout: float, started: float | None = None) -> Sample:
    """Run one case; `started` is its scheduled arrival when given (open loop), else now."""
    loop = asyncio.get_running_loop()
    begin = started if started is not None else loop.time()
    outcome: Outcome
    reason: str | None
    try:
        async with asyncio.timeout(case_timeout):
            reason = await run(letter)
        outcome = "ok" if reason is None else "failed"
    except (TimeoutError, httpx.TimeoutException) as exc:
        outcome, reason = "timeout", type(exc).__name__
    except (httpx.HTTPError, OSError, ValueError, KeyError) as exc:
        outcome, reason = "failed", type(exc).__name__
    return Sample(begin, loop.time(), outcome, reason or "")


class Load(Protocol):
    """Closed-loop clients: `start` them (samples go to `sink`), `stop` them (in-flight cases end)."""

    @property
    def pid(self) -> int | None: ...  # the process whose CPU is the load's; None: this one

    async def start(self, concurrency: int, sink: Sink) -> None: ...

    async def stop(self) -> None: ...


class TaskLoad:
    """Closed-loop clients on this event loop (the Kafka ingress: its client is this process)."""

    pid = None

    def __init__(self, run: CaseRunner, case_timeout: float) -> None:
        self.run = run
        self.case_timeout = case_timeout
        self.stopping = False
        self.clients: list[asyncio.Task[None]] = []

    async def start(self, concurrency: int, sink: Sink) -> None:
        self.stopping = False
        letters = cycle(LETTERS)

        async def client() -> None:
            while not self.stopping:
                sink.add(await timed_case(self.run, next(letters), self.case_timeout))

        self.clients = [asyncio.create_task(client()) for _ in range(concurrency)]

    async def stop(self) -> None:
        self.stopping = True
        await asyncio.gather(*self.clients)  # the cases in flight finish (each bounded by the time-out)


async def closed_loop(
    load: Load, concurrency: int, warmup: float, duration: float, case_timeout: float, probe: Probe, window: Window
) -> dict[str, Any]:
    """`concurrency` clients, each starting its next case when the last one finished.

    The warm-up lasts `warmup` seconds and at least until `concurrency` cases have ended (every client
    went round once: steady state, however slow a case is), bounded by `case_timeout`; then the window
    is measured for `duration` seconds, and the cases still in flight are waited for (not counted).
    """
    loop = asyncio.get_running_loop()
    sink = Sink(went_round_at=concurrency)
    samples = sink.samples
    began = loop.time()
    await load.start(concurrency, sink)
    try:
        await asyncio.sleep(warmup)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sink.went_round.wait(), timeout=case_timeout)
        start = loop.time()
        async with measured(probe, window, load.pid):
            await asyncio.sleep(duration)
        end = loop.time()
    finally:
        await load.stop()
    summary = window_summary(samples, start, end)
    window.cases = summary["completed"]
    # Every case of the level, warm-up and drain included, so no failure goes unseen.
    level: dict[str, Any] = {outcome: sum(1 for s in samples if s.outcome == outcome) for outcome in OUTCOMES}
    level["reasons"] = failure_reasons(samples)
    return {
        "concurrency": concurrency,
        "warmup_s": round(start - began, 2),
        **summary,
        "all_cases": level,
        "cpu_s_per_case": per_case(window),
        **window_totals(window),
    }


async def open_loop(load: GoLoad, rate: float, duration: float, probe: Probe, window: Window) -> dict[str, Any]:
    """Arrivals at a fixed schedule (`rate` per second), whatever the system's answers; latency from the
    scheduled arrival, so a late start counts against the system."""
    async with measured(probe, window, load.pid):
        samples = await load.open(rate, max(1, round(rate * duration)))
    summary = open_loop_summary(samples, rate, duration)
    window.cases = summary["completed"]
    return {**summary, "cpu_s_per_case": per_case(window), **window_totals(window)}


class KafkaIngress:
    """Publishes upstream cases; a case is finished once intake recorded its run's final stage, as a client
    of intake would see it: its final stage.completed record was read (own consumer, no group) and
    intake's consumer group then committed past that record (polled every `poll_seconds`). A failed or
    cancelled stage ends the case as failed at once."""

    def __init__(self, bootstrap: str, tenant: str, intake_group: str, poll_seconds: float = 0.1) -> None:
        self.bootstrap = bootstrap
        self.tenant = tenant
        self.intake_group = intake_group
        self.poll_seconds = poll_seconds
        self.pending: dict[str, asyncio.Future[bool]] = {}
        # Cases whose final stage.completed record was seen: its position, until intake committed past it.
        self.awaiting: dict[str, tuple[TopicPartition, int]] = {}
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            client_id="denialops-bench-completions",
        )
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="denialops-bench-completions")
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> KafkaIngress:
        await self.producer.start()
        try:
            await self.admin.start()
            await self.consumer.start()
            # No group: every partition of the topic, read from its end (nothing is committed).
            self.consumer.subscribe([Topic.STAGE_COMPLETED.value])
            for _ in range(600):  # the assignment follows the first metadata update
                if partitions := self.consumer.assignment():
                    break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError("no partitions of stage.completed were assigned in 30 s")
            for tp in partitions:  # resolve the positions now, before anything is published
                await self.consumer.position(tp)
        except BaseException:
            await self._close()
            raise
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._watch_intake())]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close()

    async def _close(self) -> None:
        await self.consumer.stop()
        await self.producer.stop()
        await self.admin.close()

    async def _read(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200, max_records=500)
            for tp, records in batches.items():
                for record in records:
                    case_id = record.key.decode() if record.key else ""
                    future = self.pending.get(case_id)
                    if future is None or future.done():
                        continue
                    body = json.loads(record.value)
                    if body.get("status") in FAILED_STAGE_STATUSES:
                        future.set_result(False)
                    elif body.get("stage") == FINAL_STAGE.value and body.get("status") in FINISHED_STAGE_STATUSES:
                        self.awaiting[case_id] = (tp, record.offset)

    async def _watch_intake(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            if not self.awaiting:
                continue
            partitions = list({tp for tp, _ in self.awaiting.values()})
            committed = await self.admin.list_consumer_group_offsets(self.intake_group, partitions=partitions)
            for case_id, (tp, offset) in list(self.awaiting.items()):
                meta = committed.get(tp)
                if meta is not None and meta.offset > offset:
                    del self.awaiting[case_id]
                    if (future := self.pending.get(case_id)) is not None and not future.done():
                        future.set_result(True)

    async def run(self, letter: Letter) -> str | None:
        case_id, events = upstream_events(letter, self.tenant)
        finished: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending[case_id] = finished
        try:
            sent = [
                await self.producer.send(
                    event.topic,
                    event.value,
                    key=event.key.encode(),
                    headers=[(k, v.encode()) for k, v in event.headers.items()],
                )
                for event in events
            ]
            await asyncio.gather(*sent)
            return None if await finished else "a stage failed or was cancelled"
        finally:
            del self.pending[case_id]
            self.awaiting.pop(case_id, None)


# ------------------------------------------------------------------------------------ the run


class BenchDeployment(Deployment):
    """The system tests' deployment with the benchmark's settings: 6 partitions, no model, default sweeps,
    free ports for the extra replicas, shorter start-up time-outs."""

    @classmethod
    def for_bench(cls, state_dir: Path) -> BenchDeployment:
        base = Deployment.create(state_dir, partitions=PARTITIONS)
        env = dict(base.env)
        for name in ("LLM_API_KEY", "LLM_BASE_URL", "OUTBOX_SWEEP_SECONDS", "ROUTER_REPLICAS", "LLM_WORKER_REPLICAS"):
            env.pop(name, None)
        # Load shedding as the product ships it, not as the system tests turn it off, unless the
        # benchmark's own environment sets it.
        for name in ("INTAKE_MAX_RUNS_IN_FLIGHT", "INTAKE_MAX_REQUESTS_IN_FLIGHT"):
            if name in os.environ:
                env[name] = os.environ[name]
            else:
                env.pop(name, None)
        env.update(
            {
                "ROUTER_REPLICA_PORTS": str(free_port()),
                "LLM_WORKER_REPLICA_PORTS": str(free_port()),
                # Shorter than the defaults unless the benchmark's environment says (a busy machine).
                "DENIALOPS_READY_TIMEOUT": os.environ.get("DENIALOPS_READY_TIMEOUT", "60"),
                "INFRA_START_TIMEOUT": os.environ.get("INFRA_START_TIMEOUT", "60"),
            }
        )
        return cls(state_dir=state_dir, ports=base.ports, env=env, tenant=base.tenant)

    def group_prefix(self) -> str:
        return self.env["KAFKA_GROUP_PREFIX"]

    def group(self, service: str) -> str:
        """The consumer group of a service (`ServiceSettings.consumer_group`)."""
        return f"{self.group_prefix()}-{service}"

    def scale(self, replicas: int) -> None:
        """Start the missing replicas of router and llm-worker (services.sh waits until they are ready)."""
        self.env["ROUTER_REPLICAS"] = str(replicas)
        self.env["LLM_WORKER_REPLICAS"] = str(replicas)
        self.services("start")

    def stop_replicas(self) -> None:
        """SIGTERM the extra replicas (they drain and leave their groups) and wait for them to exit."""
        for path in self.state_dir.glob("pids/service-*-[0-9]*.pid"):
            pid = int(path.read_text().strip())
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    # Gone: forget it, so a later process with the same pid is not measured as this one.
                    path.unlink(missing_ok=True)
                    path.with_suffix(".port").unlink(missing_ok=True)
                    break
                time.sleep(0.1)
        self.env["ROUTER_REPLICAS"] = "1"
        self.env["LLM_WORKER_REPLICAS"] = "1"


@dataclass
class Run:
    options: Options
    deadline: float
    results: dict[str, Any] = field(default_factory=dict)
    windows: dict[str, list[Window]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def say(self, message: str) -> None:
        elapsed = self.options.budget_seconds - self.remaining()
        print(f"[{elapsed:6.1f} s] {message}", flush=True)

    def fits(self, name: str, seconds: float) -> bool:
        if self.remaining() - STOP_ALLOWANCE_SECONDS - self.llm_allowance() >= seconds:
            return True
        self.skipped.append(name)
        self.say(f"skipped {name}: not enough time left in the budget")
        return False

    def llm_allowance(self) -> float:
        return 3 * self.options.llm_seconds + 8

    async def settle(self, sampler: LagSampler, before: str) -> None:
        """Let every consumer group catch up before the next part, so its backlog does not count there."""
        waited = await sampler.settle(self.options.settle_seconds)
        self.results.setdefault("settle_s", {})[before] = waited
        if sampler.latest_total != 0:
            self.say(f"consumers still {sampler.latest_total} messages behind before {before}")

    def window(self, group: str) -> Window:
        window = Window()
        self.windows.setdefault(group, []).append(window)
        return window


async def stack_phases(deployment: BenchDeployment, run: Run, probe: Probe) -> None:
    opts = run.options
    sampler = LagSampler(deployment.kafka_bootstrap, deployment.group_prefix())
    lag_task = asyncio.create_task(sampler.run())
    try:
        async with GoLoad(deployment.url("intake"), deployment.api_key, opts.case_timeout) as http_load:
            phases: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                ("http", lambda: http_phase(run, http_load, sampler, probe)),
                ("kafka", lambda: kafka_phase(deployment, run, sampler, probe)),
                ("scale_out", lambda: scale_out_phase(deployment, run, sampler, probe)),
                ("http open loop", lambda: open_loop_phase(run, http_load, sampler, probe)),
            ]
            for name, phase in phases:
                try:
                    await phase()
                except Exception as exc:  # one part failing must not lose the others' results
                    run.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                    run.say(f"{name} failed: {type(exc).__name__}: {exc}")
    finally:
        probe.record_peaks()
        run.results["consumer_lag"] = sampler.report()
        lag_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lag_task


async def http_phase(run: Run, load: GoLoad, sampler: LagSampler, probe: Probe) -> None:
    opts = run.options
    by_concurrency: dict[str, Any] = {}
    run.results["http"] = {"by_concurrency": by_concurrency}
    if run.fits("http warm-up", opts.warmup_seconds * 2):
        run.say(f"http: warm-up {opts.warmup_seconds * 2:g} s at concurrency 4")
        sampler.phase = "warm-up"
        await closed_loop(load, 4, 0, opts.warmup_seconds * 2, opts.case_timeout, probe, Window())
    for concurrency in opts.concurrencies:
        if not run.fits(f"http c={concurrency}", opts.warmup_seconds + opts.http_seconds + opts.case_timeout):
            continue
        await run.settle(sampler, f"http c={concurrency}")
        sampler.phase = f"http c={concurrency}"
        run.say(f"http: concurrency {concurrency} for {opts.http_seconds:g} s")
        result = await closed_loop(
            load,
            concurrency,
            opts.warmup_seconds,
            opts.http_seconds,
            opts.case_timeout,
            probe,
            run.window("http"),
        )
        by_concurrency[str(concurrency)] = result
        level = result["all_cases"]
        run.say(
            f"  {result['cases_per_s']} cases/s, p99 {result['p99_ms']} ms; {level['failed']} failed, "
            f"{level['timeout']} timed out; CPU ms/case: servers {_fmt(result['cpu_ms_per_case_total'])}, "
            f"client {_fmt(result['cpu_ms_per_case_client'])}; DB commands/case "
            f"{_fmt(result['db_commands_per_case_total'])}"
        )
        probe.record_peaks()
    best = max(by_concurrency.values(), key=lambda r: r["cases_per_s"] or 0, default=None)
    http = run.results["http"]
    if best is not None:
        http["cases_per_s"] = best["cases_per_s"]
        http["best_concurrency"] = best["concurrency"]
        for key in ("cpu_ms_per_case_total", "cpu_ms_per_case_services", "db_commands_per_case_total"):
            http[key] = best[key]
    # The open loop runs last (see the module's docstring); its rate is known now.
    plan_open_loop(http, opts.open_rate)


def plan_open_loop(http: dict[str, Any], forced_rate: float | None) -> None:
    """Choose the open loop's rate from the closed loop's best (`http["cases_per_s"]`) unless forced, and
    put its keys in the HTTP results now, None until it ran (and if it does not)."""
    rate = open_loop_rate(forced_rate, http.get("cases_per_s"))
    http["open_loop_offered_per_s"] = rate
    http["open_loop_rate_from"] = (
        "--open-rate" if forced_rate is not None else f"{OPEN_LOOP_SHARE:.0%} of the best closed-loop level"
    )
    for key in ("open_loop_achieved_per_s", "open_loop_p50_ms", "open_loop_p99_ms"):
        http[key] = None
    if rate is not None:
        http[f"p99_ms_at_{rate:g}"] = None
        http[f"achieved_per_s_at_{rate:g}"] = None


def record_open_loop(http: dict[str, Any], result: dict[str, Any]) -> None:
    """The open loop's result under its own key, and its figures under the keys `plan_open_loop` made."""
    rate = result["offered_per_s"]
    http["open_loop"] = result
    http[f"p99_ms_at_{rate:g}"] = result["p99_ms"]
    http[f"achieved_per_s_at_{rate:g}"] = result["achieved_per_s"]
    http["open_loop_achieved_per_s"] = result["achieved_per_s"]
    http["open_loop_p50_ms"] = result["p50_ms"]
    http["open_loop_p99_ms"] = result["p99_ms"]


def scale_out_report(run: Run) -> dict[str, Any]:
    opts = run.options
    report: dict[str, Any] = run.results.setdefault(
        "scale_out",
        {
            "ingress": f"kafka (upstream case.created + document.added, {opts.kafka_in_flight} cases in flight)",
            "partitions": PARTITIONS,
            "replicas": "router and llm-worker; intake and health stay at 1",
        },
    )
    return report


async def kafka_phase(deployment: BenchDeployment, run: Run, sampler: LagSampler, probe: Probe) -> None:
    opts = run.options
    if not run.fits("kafka", opts.warmup_seconds + opts.kafka_seconds + opts.case_timeout):
        return
    await run.settle(sampler, "kafka")
    async with KafkaIngress(deployment.kafka_bootstrap, deployment.tenant, deployment.group("intake")) as ingress:
        sampler.phase = "kafka"
        run.say(f"kafka: {opts.kafka_in_flight} in flight for {opts.kafka_seconds:g} s")
        result = await closed_loop(
            TaskLoad(ingress.run, opts.case_timeout),
            opts.kafka_in_flight,
            opts.warmup_seconds,
            opts.kafka_seconds,
            opts.case_timeout,
            probe,
            run.window("kafka"),
        )
    run.results["kafka"] = {"in_flight": opts.kafka_in_flight, **result}
    run.say(
        f"  {result['cases_per_s']} cases/s, p99 {result['p99_ms']} ms; CPU ms/case: servers "
        f"{_fmt(result['cpu_ms_per_case_total'])}, client {_fmt(result['cpu_ms_per_case_client'])}; "
        f"DB commands/case {_fmt(result['db_commands_per_case_total'])}"
    )
    keys = ("cases_per_s", "p50_ms", "p99_ms", "completed", "failed", "timed_out")
    scale_out_report(run)["replicas_1"] = {k: result[k] for k in keys}
    probe.record_peaks()


async def scale_out_phase(deployment: BenchDeployment, run: Run, sampler: LagSampler, probe: Probe) -> None:
    opts = run.options
    report = scale_out_report(run)
    if not run.fits("scale_out replicas_2", 20 + opts.warmup_seconds + opts.scale_seconds + opts.case_timeout):
        return
    await run.settle(sampler, "scale-out")
    run.say("scale-out: starting a second router and llm-worker")
    sampler.phase = "scale-out start"
    started = time.monotonic()
    try:
        await asyncio.to_thread(deployment.scale, 2)
        report["replica_start_s"] = round(time.monotonic() - started, 1)
        async with KafkaIngress(deployment.kafka_bootstrap, deployment.tenant, deployment.group("intake")) as ingress:
            sampler.phase = "scale-out replicas 2"
            run.say(f"scale-out: 2 replicas, {opts.kafka_in_flight} in flight for {opts.scale_seconds:g} s")
            window = run.window("scale_out_2")
            result = await closed_loop(
                TaskLoad(ingress.run, opts.case_timeout),
                opts.kafka_in_flight,
                opts.warmup_seconds + 2,  # longer: the groups rebalance as the new members join
                opts.scale_seconds,
                opts.case_timeout,
                probe,
                window,
            )
        probe.record_peaks()
    finally:
        sampler.phase = "scale-out stop"
        await asyncio.to_thread(deployment.stop_replicas)
    keys = ("cases_per_s", "p50_ms", "p99_ms", "completed", "failed", "timed_out")
    report["replicas_2"] = {
        **{k: result[k] for k in keys},
        "cpu_s_per_case": result["cpu_s_per_case"],
        "cpu_ms_per_case_total": result["cpu_ms_per_case_total"],
        "db_commands_per_case_total": result["db_commands_per_case_total"],
        "cpu_s_per_case_by_instance": {name: round(cpu / window.cases, 5) for name, cpu in sorted(window.cpu.items())}
        if window.cases
        else {},
    }
    one = report.get("replicas_1", {}).get("cases_per_s")
    two = result["cases_per_s"]
    report["speedup"] = round(two / one, 2) if one and two else None
    run.say(f"  {two} cases/s with 2 replicas (1 replica: {one})")
    await asyncio.sleep(opts.warmup_seconds)  # the groups rebalance back to one member each


async def open_loop_phase(run: Run, load: GoLoad, sampler: LagSampler, probe: Probe) -> None:
    opts = run.options
    http = run.results.setdefault("http", {})
    if (rate := http.get("open_loop_offered_per_s")) is None:
        run.skipped.append("http open loop")
        run.say("skipped http open loop: no closed-loop capacity measured to choose its rate from")
        return
    if not run.fits("http open loop", opts.open_seconds + opts.case_timeout + 2):
        return
    await run.settle(sampler, "http open loop")
    sampler.phase = f"http open loop {rate:g}/s"
    run.say(f"http: open loop, {rate:g} cases/s offered for {opts.open_seconds:g} s ({http['open_loop_rate_from']})")
    result = await open_loop(load, rate, opts.open_seconds, probe, Window())
    record_open_loop(http, result)
    run.say(
        f"  achieved {result['achieved_per_s']}/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"{result['timed_out']} timed out; CPU ms/case: servers {_fmt(result['cpu_ms_per_case_total'])}, client "
        f"{_fmt(result['cpu_ms_per_case_client'])}"
    )


async def llm_phase(run: Run) -> None:
    opts = run.options
    by_bound: dict[str, Any] = {}
    with llm_bench.fake_server(opts.llm_latency_ms) as control:
        for bound in llm_bench.BOUNDS:
            run.say(f"llm: bound {bound}")
            row = await llm_bench.run_bound(control, opts.llm_latency_ms, bound, opts.llm_seconds)
            by_bound[str(bound)] = {
                "cases": row.cases,
                "cases_per_s": round(row.cases_per_s, 2),
                "ideal_per_s": round(row.ideal_per_s, 1),
                "calls": row.calls,
                "max_in_flight": row.max_in_flight,
            }
        alone, whole = await llm_bench.cache_hit_cost(control, opts.llm_samples)
    top = str(max(llm_bench.BOUNDS))
    run.results["llm"] = {
        "latency_ms_per_call": opts.llm_latency_ms,
        "calls_per_case": llm_bench.CALLS_PER_CASE,
        "by_bound": by_bound,
        "cases_per_s": by_bound[top]["cases_per_s"],
        "at_bound": int(top),
        "cache_hit_median_us": round(alone * 1e6, 1),
        "word_plan_cache_hit_median_us": round(whole * 1e6, 1),
        "cache_hit_samples": opts.llm_samples,
    }


def service_report(run: Run, probe: Probe, idle: dict[str, float], names: tuple[str, ...]) -> dict[str, Any]:
    def cpu(groups: tuple[str, ...]) -> dict[str, float]:
        windows = [w for g in groups for w in run.windows.get(g, [])]
        cases = sum(w.cases for w in windows)
        totals: dict[str, float] = {}
        for window in windows:
            for name, seconds in per_service(window.cpu).items():
                totals[name] = totals.get(name, 0.0) + seconds
        return {name: seconds / cases for name, seconds in totals.items()} if cases else {}

    all_phases, http, kafka = cpu(("http", "kafka")), cpu(("http",)), cpu(("kafka",))
    db = db_commands_per_case(run, ("http", "kafka"))
    db_by_mode = {mode: db_commands_per_case(run, (mode,)) for mode in ("http", "kafka")}
    report: dict[str, Any] = {}
    for name in names:
        peak = probe.peak_kb.get(name)
        report[name] = {
            "cpu_s_per_case": _round(all_phases.get(name)),
            "cpu_s_per_case_http": _round(http.get(name)),
            "cpu_s_per_case_kafka": _round(kafka.get(name)),
            "idle_rss_mb": idle.get(name),
            "peak_rss_mb": round(peak / 1024, 1) if peak else None,
        }
        if name in CONSUMING or name == "health":
            report[name]["db_commands_per_case"] = _service_commands(db, name)
            for mode, commands in db_by_mode.items():
                report[name][f"db_commands_per_case_{mode}"] = _service_commands(commands, name)
    report["db_commands_per_case"] = _commands_by_name(db)
    # Each ingress apart: the HTTP path reads and writes more (uploads, progress) than a Kafka event does.
    for mode, commands in db_by_mode.items():
        report[f"db_commands_per_case_{mode}"] = _commands_by_name(commands)
    replicas = {n: round(kb / 1024, 1) for n, kb in sorted(probe.peak_kb.items()) if service_of(n) != n}
    if replicas:
        report["replica_peak_rss_mb"] = replicas
    return report


def _service_commands(commands: dict[tuple[str, str, str], float], service: str) -> float:
    return round(sum(v for (s, _, _), v in commands.items() if s == service), 1)


def _commands_by_name(commands: dict[tuple[str, str, str], float]) -> dict[str, float]:
    return {f"{service} {command} {collection}": round(n, 2) for (service, command, collection), n in commands.items()}


def db_commands_per_case(run: Run, groups: tuple[str, ...]) -> dict[tuple[str, str, str], float]:
    """Database commands per finished case over the windows of `groups`, by (service, command, collection),
    most first."""
    windows = [w for g in groups for w in run.windows.get(g, [])]
    cases = sum(w.cases for w in windows)
    totals: Counter[tuple[str, str, str]] = sum((w.db_commands for w in windows), Counter())
    return {key: count / cases for key, count in totals.most_common()} if cases else {}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 5)


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip() or None


def write_results(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


# ------------------------------------------------------------------------------------ the table


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if not math.isinf(value) else "inf"
    return str(value)


def table(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"DenialOps stack benchmark{' (quick)' if meta['quick'] else ''}: {meta['cpus']} CPUs, "
        f"load {meta['load_at_start']:.1f} at start; database {meta['database']}; stack up in "
        f"{_fmt(meta.get('stack_start_s'))} s; {meta['total_s']:.0f} s in all",
    ]
    http = results.get("http", {})
    if http.get("by_concurrency"):
        lines += [
            "",
            "HTTP: create case + upload letter + SSE until the run is terminal (closed loop; ok in the window,",
            "failed and timed out (t/o) over the whole level; CPU ms per case of all server processes, of the",
            "services alone, of the load client (bench/loadgen); database commands per case)",
        ]
        lines.append(
            f"{'conc':>6} {'cases/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'ok':>6} {'failed':>7} {'t/o':>5}"
            f" {'srv ms':>7} {'svc ms':>7} {'cli ms':>7} {'DB cmds':>8}"
        )
        for c, r in http["by_concurrency"].items():
            lines.append(
                f"{c:>6} {_fmt(r['cases_per_s'], 2):>8} {_fmt(r['p50_ms'], 0):>8} {_fmt(r['p95_ms'], 0):>8} "
                f"{_fmt(r['p99_ms'], 0):>8} {r['completed']:>6} {r['all_cases']['failed']:>7} "
                f"{r['all_cases']['timeout']:>5} {_fmt(r['cpu_ms_per_case_total']):>7} "
                f"{_fmt(r['cpu_ms_per_case_services']):>7} {_fmt(r['cpu_ms_per_case_client']):>7} "
                f"{_fmt(r['db_commands_per_case_total']):>8}"
            )
        for c, r in http["by_concurrency"].items():
            if r["all_cases"]["reasons"]:
                lines.append(f"{'':>6} c={c} not ok: {r['all_cases']['reasons']}")
    if (o := http.get("open_loop")) is not None:
        lines.append(
            f"open loop {o['offered_per_s']:g}/s ({http['open_loop_rate_from']}) for {o['duration_s']:g} s: "
            f"{o['arrivals']} arrivals, achieved {_fmt(o['achieved_per_s'], 2)}/s, p50 {_fmt(o['p50_ms'], 0)} ms, "
            f"p99 {_fmt(o['p99_ms'], 0)} ms (of the completed: {_fmt(o['p99_ms_of_completed'], 0)} ms); failed "
            f"{o['failed']}, timed out {o['timed_out']}; CPU ms/case: servers {_fmt(o['cpu_ms_per_case_total'])}, "
            f"client {_fmt(o['cpu_ms_per_case_client'])}"
        )
        if o["failure_reasons"]:
            lines.append(f"  not ok: {o['failure_reasons']}")
    if (k := results.get("kafka")) is not None:
        lines += [
            "",
            f"Kafka ingress ({k['in_flight']} in flight): {_fmt(k['cases_per_s'], 2)} cases/s, p50 "
            f"{_fmt(k['p50_ms'], 0)} ms, p99 {_fmt(k['p99_ms'], 0)} ms; ok {k['completed']} in the window, failed "
            f"{k['all_cases']['failed']}, timed out {k['all_cases']['timeout']} over the run",
            f"  CPU ms per case: all server processes {_fmt(k['cpu_ms_per_case_total'])}, services "
            f"{_fmt(k['cpu_ms_per_case_services'])}, this process (the client) {_fmt(k['cpu_ms_per_case_client'])};"
            f" database commands per case {_fmt(k['db_commands_per_case_total'])}",
        ]
        if k["all_cases"]["reasons"]:
            lines.append(f"  not ok: {k['all_cases']['reasons']}")
    s = results.get("scale_out", {})
    if "replicas_1" in s:
        two = s.get("replicas_2", {}).get("cases_per_s")
        lines.append(
            f"scale-out (Kafka ingress, {s['partitions']} partitions): 1 replica "
            f"{_fmt(s['replicas_1']['cases_per_s'], 2)} cases/s, 2 replicas {_fmt(two, 2)} cases/s "
            f"(x{_fmt(s.get('speedup'), 2)})"
        )
    if (llm := results.get("llm")) is not None:
        rates = ", ".join(f"bound {b}: {r['cases_per_s']:.1f}/s" for b, r in llm["by_bound"].items())
        lines += [
            "",
            f"LLM path (fake model, {llm['latency_ms_per_call']:g} ms per call): {rates}; cache hit median "
            f"{llm['cache_hit_median_us']:.0f} µs ({llm['word_plan_cache_hit_median_us']:.0f} µs whole word_plan)",
        ]
    if (services := results.get("services")) is not None:
        lines += [
            "",
            f"{'service':<11} {'CPU s/case':>10} {'(http)':>8} {'(kafka)':>8} {'idle RSS MB':>12} {'peak RSS MB':>12}"
            f" {'DB cmds/case':>12} {'(http)':>7} {'(kafka)':>7}",
        ]
        for name in server_names(meta["database"]):
            r = services[name]
            lines.append(
                f"{name:<11} {_fmt(r['cpu_s_per_case'], 4):>10} {_fmt(r['cpu_s_per_case_http'], 4):>8} "
                f"{_fmt(r['cpu_s_per_case_kafka'], 4):>8} {_fmt(r['idle_rss_mb']):>12} {_fmt(r['peak_rss_mb']):>12}"
                f" {_fmt(r.get('db_commands_per_case')):>12} {_fmt(r.get('db_commands_per_case_http')):>7}"
                f" {_fmt(r.get('db_commands_per_case_kafka')):>7}"
            )
        top = list(services["db_commands_per_case"].items())[:8]
        if top:
            lines.append("most database commands per case: " + "; ".join(f"{k} {v:g}" for k, v in top))
        if kafka_commands := services.get("db_commands_per_case_kafka"):
            lines.append(
                "database commands per case, Kafka ingress: "
                + "; ".join(f"{k} {v:g}" for k, v in kafka_commands.items())
            )
    if (lag := results.get("consumer_lag")) is not None:
        worst = max(lag["by_phase"].items(), key=lambda kv: kv[1], default=("-", 0))
        lines.append(f"max consumer lag: {lag['max_messages']} messages ({worst[0]}); by service {lag['by_service']}")
    if results.get("skipped"):
        lines.append(f"skipped (budget): {', '.join(results['skipped'])}")
    if results.get("errors"):
        lines.append(f"errors: {'; '.join(results['errors'])}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    opts = Options.parse(argv)
    started = time.monotonic()
    run = Run(options=opts, deadline=started + opts.budget_seconds)
    meta: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "quick": opts.quick,
        "cpus": os.cpu_count(),
        "load_at_start": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
        "database": database_name(os.environ),
        "kafka_partitions": PARTITIONS,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
    }
    state_dir = Path(tempfile.mkdtemp(prefix="denialops-bench-"))
    deployment = BenchDeployment.for_bench(state_dir)
    probe = Probe(state_dir / "pids", {name: deployment.url(name) for name in ("intake", "router", "llm-worker")})
    failed = False
    try:
        run.say(f"starting a stack of its own on {meta['database']} (state in {state_dir})")
        try:
            deployment.start()
        except ScriptFailed as exc:
            raise SystemExit(f"the stack did not start: {exc}") from exc
        meta["stack_start_s"] = round(time.monotonic() - started, 1)
        run.say("stack ready")
        time.sleep(2)  # idle: after start-up, before any load
        names = server_names(meta["database"])
        idle = {name: mb for name, mb in probe.rss_mb().items() if name in names}
        try:
            stack_budget = run.remaining() - STOP_ALLOWANCE_SECONDS - run.llm_allowance()
            asyncio.run(asyncio.wait_for(stack_phases(deployment, run, probe), timeout=max(1.0, stack_budget)))
        except TimeoutError:
            run.errors.append("the stack phases hit the time budget and were cut short")
        run.results["services"] = service_report(run, probe, idle, names)
    except KeyboardInterrupt:
        failed = True
        run.errors.append("interrupted")
    except BaseException:
        failed = True
        raise
    finally:
        run.say("stopping the stack")
        deployment.stop()
        if opts.keep_state or failed:
            run.say(f"state (logs) kept in {state_dir}")
        else:
            shutil.rmtree(state_dir, ignore_errors=True)
    if not failed and run.remaining() > run.llm_allowance() - 5:
        asyncio.run(llm_phase(run))
    elif not failed:
        run.skipped.append("llm")
    meta["total_s"] = round(time.monotonic() - started, 1)
    meta["load_at_end"] = round(os.getloadavg()[0], 2)
    results = {"meta": meta, **run.results, "skipped": run.skipped, "errors": run.errors}
    write_results(opts.output, results)
    print()
    print(table(results))
    print(f"\nresults: {opts.output}")
    return 1 if failed or run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
