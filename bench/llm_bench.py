"""LLM path benchmark: llm-worker cases/s against the fake server at 500 ms per call, and the cost of a cache hit.

    uv run python -m bench.llm_bench [--latency-ms 500] [--seconds 4]

Starts the fake (`tests.support.fake_openai`) as a process on a free loopback port, then, in this
process, runs cases through what the llm-worker handler runs per case (`Assistant.prepare`: refine
the unsure facts, word the plan; then `run_stages`: templates, grounding, artifacts) with the
client's concurrency bound at 1, 8 and 64. Every case is distinct and uncached, and makes two model
calls. Kafka and MongoDB are left out: this measures the LLM path, not the service's consumer.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic import SecretStr

from denialops_llm_worker.domain import build_action_plan
from denialops_llm_worker.llm.answers import Composition
from denialops_llm_worker.llm.assistant import PROMPTS
from denialops_llm_worker.main import build_assistant
from denialops_llm_worker.pipeline import GenerationInput, run_stages
from denialops_llm_worker.settings import LlmWorkerSettings
from denialops_shared.contracts.artifacts import CaseFacts, DeadlineBasis, DenialCode, Route, RouteDecision
from denialops_shared.contracts.events import Page
from denialops_shared.llm.cache import CachedCompleter, MemoryCache
from denialops_shared.llm.circuit import CircuitBreaker
from denialops_shared.llm.client import LlmClient, LlmRequest
from denialops_shared.llm.prompts import case_data, load_prompt
from denialops_shared.llm.settings import CacheSettings, LlmSettings, create_client
from tests.support.fake_openai import FakeControl
from tests.support.ports import free_port

BOUNDS = (1, 8, 64)
CALLS_PER_CASE = 2
ANSWERS = {
    "FactRefinement": {"facts": [{"field": "patient_name", "value": "Jane Roe"}]},
    "Composition": {
        "summary": "Acme Health Plan found the MRI of the lumbar spine not necessary. Appeal by August 2, 2025.",
        "steps": [{"order": 1, "detail": "Ask the clinician for a letter explaining why the MRI was needed."}],
        "letter_paragraph": "The MRI was ordered by my doctor after other treatment failed.",
        "outlook": {"likelihood": "medium", "reason": "Appeals with clinical records often succeed."},
    },
}
TODAY = dt.date(2025, 3, 10)
DECISION = RouteDecision(route=Route.MEDICAL_NECESSITY_APPEAL, confidence=0.9, reasoning="CO-50")


def case(n: int) -> tuple[CaseFacts, list[Page]]:
    claim = f"CLM-{n:06d}"
    letter = (
        f"Acme Health Plan\nPatient: Jane Roe\nClaim number: {claim}\nWe found the MRI of the lumbar spine "
        "(CPT 72148) on 02/03/2025 not medically necessary (CO-50). You may appeal by 08/02/2025.\n"
    )
    facts = CaseFacts(
        payer_name="Acme Health Plan",
        claim_number=claim,
        service_description="MRI of the lumbar spine",
        cpt_codes=["72148"],
        denial_codes=[DenialCode(code="CO-50", kind="carc", group="CO", reason="Not deemed a medical necessity")],
        date_of_service=dt.date(2025, 2, 3),
        appeal_deadline=dt.date(2025, 8, 2),
        appeal_deadline_basis=DeadlineBasis.PRINTED,
        confidence={"payer_name": 0.95, "claim_number": 0.95, "service_description": 0.9},
    )
    return facts, [Page(number=1, text=letter)]


def settings(base_url: str, bound: int, cache: str) -> LlmWorkerSettings:
    return LlmWorkerSettings(
        llm=LlmSettings(
            api_key=SecretStr("sk-bench"), base_url=base_url, max_concurrency=bound, timeout_seconds=30, max_retries=0
        ),
        cache=CacheSettings(backend=cache),
    )


@contextmanager
def fake_server(latency_ms: float) -> Iterator[FakeControl]:
    port = free_port()
    command = [sys.executable, "-m", "tests.support.fake_openai", "--port", str(port), "--latency-ms", str(latency_ms)]
    process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": os.getcwd()})
    control = FakeControl(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                control.stats()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the fake server did not start") from None
                time.sleep(0.1)
        yield control
    finally:
        process.terminate()
        process.wait(timeout=10)


async def throughput(control: FakeControl, bound: int, cases: int) -> tuple[float, int, int]:
    assistant, _ = build_assistant(settings(control.api_base, bound, "none"), None)
    assert assistant is not None
    control.reset()
    control.configure(responses=ANSWERS)

    async def one(n: int) -> None:
        facts, letter = case(n)
        facts, wording = await assistant.prepare(facts, DECISION, TODAY, letter)
        assert wording is not None, "the model's answer was not used"
        run_stages(GenerationInput("bench", f"case-{n}", f"run-{n}", facts, DECISION, TODAY, wording))

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(cases)))
    elapsed = time.perf_counter() - started
    stats = control.stats()
    return cases / elapsed, int(stats["requests"]), int(stats["max_in_flight"])


async def cache_hit_cost(control: FakeControl, samples: int) -> tuple[float, float]:
    """Median seconds of a memory-cache hit: the cached completer alone, and a whole `word_plan` call."""
    control.configure(latency_ms=0, responses=ANSWERS)
    worker = settings(control.api_base, 8, "memory")
    facts, _ = case(0)
    template = build_action_plan(facts, DECISION, TODAY)
    client = create_client(worker.llm)
    assert client is not None
    cached = CachedCompleter(
        LlmClient(worker.llm, client, CircuitBreaker(5, 30)),
        MemoryCache(worker.cache.max_entries, worker.cache.ttl_seconds),
        provider=worker.llm.provider,
        model=worker.llm.model,
        max_temperature=worker.cache.max_temperature,
    )
    request = LlmRequest(
        prompt=load_prompt(PROMPTS, "compose", "v1"),
        user=case_data(facts.model_dump(mode="json"), DECISION.route.value, template.model_dump(mode="json")),
        schema=Composition,
        temperature=0,
    )
    assistant, _ = build_assistant(worker, None)
    assert assistant is not None
    await cached.complete(request)  # the one miss of each
    await assistant.word_plan(facts, DECISION, template)

    async def median(call: Callable[[], Awaitable[object]]) -> float:
        timings = []
        for _ in range(samples):
            started = time.perf_counter()
            await call()
            timings.append(time.perf_counter() - started)
        return statistics.median(timings)

    return (
        await median(lambda: cached.complete(request)),
        await median(lambda: assistant.word_plan(facts, DECISION, template)),
    )


@dataclass(frozen=True)
class BoundResult:
    bound: int
    cases: int
    cases_per_s: float
    ideal_per_s: float
    calls: int
    max_in_flight: int
    # This process's CPU per case (the worker's side: client, parsing, generation), so a rate below the
    # ideal can be told apart: CPU-bound (cases/s x this near the cores) or waiting on something else.
    cpu_ms_per_case: float


async def run_bound(control: FakeControl, latency_ms: float, bound: int, seconds: float) -> BoundResult:
    """One throughput run at concurrency bound `bound`, sized to last about `seconds`."""
    ideal = bound / (CALLS_PER_CASE * latency_ms / 1000)
    cases = max(2, round(ideal * seconds))
    cpu_before = time.process_time()
    rate, calls, peak = await throughput(control, bound, cases)
    cpu_ms = (time.process_time() - cpu_before) / cases * 1000
    return BoundResult(bound, cases, rate, ideal, calls, peak, cpu_ms)


async def main() -> None:
    parser = argparse.ArgumentParser(description="LLM path benchmark (loopback only, bounded in time).")
    parser.add_argument("--latency-ms", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=4, help="target duration of each throughput run")
    parser.add_argument("--samples", type=int, default=2000, help="cache hits to time")
    args = parser.parse_args()
    with fake_server(args.latency_ms) as control:
        load = os.getloadavg()[0]
        print(f"fake server at {args.latency_ms:g} ms per call; {CALLS_PER_CASE} model calls per case; load {load:.1f}")
        print(
            f"{'bound':>5} {'cases':>6} {'cases/s':>8} {'ideal':>6} {'calls':>6} {'max in flight':>13}"
            f" {'CPU ms/case':>11}"
        )
        for bound in BOUNDS:
            r = await run_bound(control, args.latency_ms, bound, args.seconds)
            rate, peak = r.cases_per_s, r.max_in_flight
            print(
                f"{bound:>5} {r.cases:>6} {rate:>8.2f} {r.ideal_per_s:>6.1f} {r.calls:>6} {peak:>13}"
                f" {r.cpu_ms_per_case:>11.1f}"
            )
        alone, whole = await cache_hit_cost(control, args.samples)
        print(f"cache hit, median of {args.samples}: {alone * 1e6:.0f} µs (key, lookup, parse); ", end="")
        print(f"{whole * 1e6:.0f} µs for a whole word_plan call (request built, hit, answer applied)")


if __name__ == "__main__":
    asyncio.run(main())
