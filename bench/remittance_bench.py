"""How long and how much memory an 835 of 10,000 claims takes to check and split by claim.

    .venv/bin/python -m bench.remittance_bench [--claims 10000] [--api-url URL]

Writes a synthetic 835 (one interchange; of every 20 claims 14 paid with routine adjustments, 3 with a
line denied, 3 denied outright, each with a patient, two service lines and their adjustments), then
times, each with its peak of Python allocations (tracemalloc), the two passes intake makes: the check
of every envelope (`validate`) and the split into one 835 per claim (`claims`), plus, for comparison,
reading the whole file into lists (`read_835`). With --store it also runs intake's whole use case
(`RemittanceIntake.receive`: check, split, and every case, document and run written with its events
through the outbox) against a Kafka and FerretDB of the tests' own (`tests/infra.py`; the pipeline
itself is not running); with --api-url (and DENIALOPS_API_KEY) it uploads the file to a running
intake (`POST /api/v1/remittances`) and times the answer.
Not a test: the figures go to stdout and bench/results/remittance.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from denialops_intake.domain.remittances import SplitClaim, claims, validate
from denialops_shared.x12_835 import read_835

RESULTS = Path(__file__).parent / "results" / "remittance.json"
ISA = "ISA*00*          *00*          *ZZ*PAYERID        *ZZ*PAYEEID        *250411*2210*^*00501*000000001*0*P*:~"
HEADER = [
    "GS*HP*PAYERID*PAYEEID*20250411*2210*1*X*005010X221A1",
    "ST*835*0001",
    "BPR*I*1000.00*C*ACH************20250414",
    "TRN*1*EFT0001*1512345678",
    "DTM*405*20250411",
    "N1*PR*ACME HEALTH PLAN*XV*ACME01",
    "PER*CX*CLAIMS*TE*8005550102",
    "N1*PE*NORTHSIDE CLINIC*XX*1234567893",
    "LX*1",
]


def claim(i: int) -> list[str]:
    patient = f"NM1*QC*1*PATIENT{i}*ALEX****MI*M{i:08d}"
    line = "SVC*HC:99213*120.00*{paid}**1~DTM*472*20250301~CAS*{cas}~AMT*B6*90.00"
    kind = i % 20
    if kind < 14:  # paid: contractual write-down and coinsurance only
        status, paid, lines = "1", "150.00", [line.format(paid="75.00", cas="CO*45*30.00~CAS*PR*2*15.00")] * 2
    elif kind < 17:  # partly denied: one line bundled
        status, paid = "1", "75.00"
        lines = [line.format(paid="75.00", cas="CO*45*30.00~CAS*PR*2*15.00"), line.format(paid="0", cas="CO*97*120.00")]
    else:  # denied
        status, paid, lines = "4", "0", [line.format(paid="0", cas="CO*197*120.00")] * 2
    return [f"CLP*ACCT{i}*{status}*240.00*{paid}*15.00*12*ICN{i:010d}*11*1", patient, *"~".join(lines).split("~")]


def synthetic_835(n: int) -> str:
    body = [*HEADER]
    for i in range(n):
        body.extend(claim(i))
    body.append("PLB*1234567893*20251231*WO:ICN0000000001*-50.00")
    body.append(f"SE*{len(body)}*0001")  # ST..SE, the GS not counted
    return "~\n".join([ISA[:-1], *body, "GE*1*1", "IEA*1*000000001"]) + "~\n"


def timed(step: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def traced_peak_mib(step: Callable[[], Any]) -> float:
    """The step's peak of Python allocations (tracemalloc slows what it traces and costs memory itself)."""
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return round(peak, 1)


def max_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def split_all(text: str) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for item in claims("bench", text):
        kinds[item.kind.value if isinstance(item, SplitClaim) else "skipped"] += 1
    return kinds


def upload(api_url: str, data: bytes) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"Bearer {os.environ['DENIALOPS_API_KEY']}"}
    started = time.perf_counter()
    response = httpx.post(
        f"{api_url.rstrip('/')}/api/v1/remittances", files={"file": ("bench.835", data)}, headers=headers, timeout=900
    )
    seconds = time.perf_counter() - started
    response.raise_for_status()
    body = response.json()
    return {"seconds": round(seconds, 2), "cases_created": len(body["cases_created"])}


async def store(text: str) -> dict[str, Any]:
    """Intake's use case on a real database and broker: the time to the answer and the cases written."""
    import uuid

    from pymongo import AsyncMongoClient

    from denialops_intake.remittances import RemittanceIntake
    from denialops_intake.work import CaseWork
    from denialops_shared.kafka import create_broker, ensure_topics
    from denialops_shared.settings import ServiceSettings
    from tests.infra import endpoints
    from tests.integration.support import make_intake

    with endpoints() as infra:
        name = f"bench_remit_{uuid.uuid4().hex[:8]}"
        settings = ServiceSettings(
            service_name=name,
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
            mongodb_uri=infra.mongodb_uri,
            mongodb_database=name,
        )
        await ensure_topics(settings)
        broker = create_broker(settings)
        await broker.start()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri, tz_aware=True)
        try:
            intake = make_intake(client[name], broker)
            await intake.tenants.create_key("bench", "bench")
            remittances = RemittanceIntake(intake, CaseWork(intake.repo, intake.today))
            started = time.perf_counter()
            outcome = await remittances.receive("bench", text.encode(), via="bench")
            seconds = time.perf_counter() - started
            return {
                "seconds": round(seconds, 1),
                "cases_created": len(outcome.cases_created),
                "claims_skipped": len(outcome.claims_skipped),
                "cases_per_second": round(len(outcome.cases_created) / seconds, 1),
                "max_rss_mib": max_rss_mib(),
            }
        finally:
            await broker.stop()
            await client.drop_database(name)
            await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--store", action="store_true", help="also run intake's use case on a real database")
    parser.add_argument("--api-url", help="also upload to this intake (DENIALOPS_API_KEY must be set)")
    args = parser.parse_args()
    text = synthetic_835(args.claims)
    report: dict[str, Any] = {"claims": args.claims, "file_mib": round(len(text) / 2**20, 2)}
    report["max_rss_mib_before"] = max_rss_mib()
    _, validate_s = timed(lambda: validate(text))
    kinds, split_s = timed(lambda: split_all(text))
    # The high-water mark of the process after both passes, before anything traces or reads whole.
    report["max_rss_mib_after_both_passes"] = max_rss_mib()
    if args.store:  # before anything traces allocations or reads the file whole, which raise the RSS mark
        report["store"] = asyncio.run(store(text))
    report["validate"] = {"seconds": round(validate_s, 2), "peak_mib": traced_peak_mib(lambda: validate(text))}
    report["split"] = {"seconds": round(split_s, 2), "peak_mib": traced_peak_mib(lambda: split_all(text))}
    report["split"]["claims"] = dict(kinds)
    _, whole_s = timed(lambda: read_835(text))
    report["read_whole_file_for_comparison"] = {
        "seconds": round(whole_s, 2),
        "peak_mib": traced_peak_mib(lambda: read_835(text)),
    }
    if args.api_url:
        report["http_upload"] = upload(args.api_url, text.encode())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
