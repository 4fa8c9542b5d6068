"""Server CPU per database command, FerretDB against SecantusDB (issue 14's "evaluate a faster local database").

Each server is started by deploy/local/infra.sh (`DENIALOPS_DATABASE=<server> infra.sh start database`) on a
free loopback port with a state directory of its own, measured, and stopped again. The figures are the
server process's own CPU (utime + stime from /proc) divided by the number of commands, so they hold on a
busy machine better than wall times do (the load average at the start is printed beside them).

    .venv/bin/python bench/db_compare.py                       # both servers, 3,000 of each command
    .venv/bin/python bench/db_compare.py --servers secantus --count 500 --json out.json

Also reported: how many of 40 concurrent `$push` updates of one document, sent without the services'
per-document lock, the server kept (FerretDB 1.x rewrites whole documents and loses some; MongoDB keeps
all). The kill -9 durability check is a system test: tests/system/test_database_durability.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pymongo import MongoClient, ReturnDocument

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.ports import free_ports  # noqa: E402

INFRA = ROOT / "deploy" / "local" / "infra.sh"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# A lookup by an indexed field other than _id scans the table on FerretDB (seconds per command at
# this size), so it runs fewer times.
INDEXED_FIELD_COUNT = 50
CONCURRENT_UPDATES = 40


def cpu_seconds(pid: int) -> float:
    # Fields 14 and 15 of /proc/PID/stat (after the parenthesised command name): utime, stime.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@contextmanager
def running_server(server: str) -> Iterator[tuple[str, int]]:
    """(uri, pid) of a fresh `server` of this run's own."""
    with tempfile.TemporaryDirectory(prefix=f"db-compare-{server}-") as state:
        (port,) = free_ports(1)
        env = {**os.environ, "DENIALOPS_DATABASE": server, "DENIALOPS_STATE_DIR": state, "FERRETDB_PORT": str(port)}
        env.pop("SECANTUS_PORT", None)
        subprocess.run([INFRA, "start", "database"], env=env, check=True, capture_output=True)
        try:
            pid = int((Path(state) / "pids" / f"{server}.pid").read_text())
            yield f"mongodb://127.0.0.1:{port}", pid
        finally:
            subprocess.run([INFRA, "stop", "database"], env=env, check=False, capture_output=True)


def document(i: int, rng: random.Random) -> dict[str, Any]:
    # About 2 KB of BSON, like a case with its artifacts' summaries.
    body = "".join(rng.choices(string.ascii_letters + " ", k=1900))
    return {"_id": f"doc-{i:06d}", "tenant_id": "bench", "k": i, "n": 0, "status": "received", "body": body}


def measure(pid: int, count: int, command: Callable[[int], object]) -> float:
    """Server CPU milliseconds per command over `count` calls."""
    before = cpu_seconds(pid)
    for i in range(count):
        command(i)
    return (cpu_seconds(pid) - before) * 1000 / count


def kept_of_concurrent_updates(client: MongoClient[dict[str, Any]]) -> int:
    coll = client.bench.concurrent
    coll.insert_one({"_id": "one", "items": []})
    with ThreadPoolExecutor(max_workers=CONCURRENT_UPDATES) as pool:
        list(pool.map(lambda i: coll.update_one({"_id": "one"}, {"$push": {"items": i}}), range(CONCURRENT_UPDATES)))
    stored = coll.find_one({"_id": "one"})
    assert stored is not None
    return len(stored["items"])


def bench_server(server: str, count: int) -> dict[str, Any]:
    rng = random.Random(14)  # noqa: S311 (filler text, not a secret)
    docs = [document(i, rng) for i in range(count)]
    ids = [d["_id"] for d in docs]
    with running_server(server) as (uri, pid):
        client: MongoClient[dict[str, Any]] = MongoClient(uri, maxPoolSize=CONCURRENT_UPDATES + 4)
        try:
            coll = client.bench.cases
            client.admin.command("ping")
            result: dict[str, Any] = {"server": server, "count": count}
            result["insert"] = measure(pid, count, lambda i: coll.insert_one(docs[i]))
            result["find_by_id"] = measure(pid, count, lambda i: coll.find_one({"_id": ids[i]}))
            result["update_by_id"] = measure(
                pid, count, lambda i: coll.update_one({"_id": ids[i]}, {"$inc": {"n": 1}, "$set": {"status": "routed"}})
            )
            result["find_and_modify"] = measure(
                pid,
                count,
                lambda i: coll.find_one_and_update(
                    {"_id": ids[i]}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
                ),
            )
            coll.create_index("k")
            step = max(1, count // INDEXED_FIELD_COUNT)
            result["update_by_indexed_field"] = measure(
                pid, INDEXED_FIELD_COUNT, lambda i: coll.update_one({"k": (i * step) % count}, {"$inc": {"n": 1}})
            )
            result["concurrent_push_kept"] = f"{kept_of_concurrent_updates(client)}/{CONCURRENT_UPDATES}"
            # Every document got both updates by _id (and some one more by its indexed field).
            assert coll.count_documents({"n": {"$gte": 2}}) == count
            return result
        finally:
            client.close()


COLUMNS = ("insert", "find_by_id", "update_by_id", "find_and_modify", "update_by_indexed_field")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", nargs="+", choices=("ferretdb", "secantus"), default=["ferretdb", "secantus"])
    parser.add_argument("--count", type=int, default=3000, help="commands of each kind (default 3000)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; server CPU ms per command", flush=True)
    results = []
    for server in args.servers:
        started = time.monotonic()
        result = bench_server(server, args.count)
        result["wall_seconds"] = round(time.monotonic() - started, 1)
        results.append(result)
        cells = "  ".join(f"{name} {result[name]:.3f}" for name in COLUMNS)
        print(f"{server:9} {cells}  concurrent $push kept {result['concurrent_push_kept']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
