"""The extraction pool's worker processes, and the resource tracker with them, end when the router dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# A stand-in for the router: it starts the pool, makes it spawn its workers, and waits to be killed.
ROUTER = """
import os, sys, time
from denialops_router.extraction_pool import extraction_pool
pool = extraction_pool(2, parent_check_seconds=0.1)
assert {pool.submit(os.getpid).result() for _ in range(4)}
print("ready", flush=True)
time.sleep(600)
"""


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for whoever reaps it, which may not be us)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_and_the_resource_tracker_exit_when_the_router_is_killed() -> None:
    router = subprocess.Popen([sys.executable, "-c", ROUTER], stdout=subprocess.PIPE, text=True, env=os.environ)
    try:
        assert router.stdout is not None
        assert router.stdout.readline().strip() == "ready"
        processes = children_of(router.pid)
        assert len(processes) >= 2  # at least one worker and the resource tracker
        router.send_signal(signal.SIGKILL)
        router.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(running(pid) for pid in processes) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in processes if running(pid)] == []
    finally:
        router.kill()
        router.wait(timeout=10)
