"""`make down` leaves no process of the project behind: services, the router's extraction workers and
multiprocessing's resource tracker, Kafka, FerretDB and Redis.

A deployment of its own (state dir, ports, its own Kafka, database and Redis) is started the way
`make up` starts one, runs a case (so the router's pool has spawned its workers), and is stopped with
`make down`. Every process the scripts started inherits the deployment's `DENIALOPS_STATE_DIR`, which
is how the test finds them, whoever their parent is by then; redis-server rewrites its environment with
its process title, so the processes the pid files name count too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import _BASE
from tests.e2e.test_pipeline import submit, wait_for_task
from tests.infra import ROOT

pytestmark = pytest.mark.e2e

LETTER = ROOT / "data" / "samples" / "letters" / "001.txt"
# Beside the other e2e stacks' ports (base, base + 10, base + 20); Redis in the 2xx block above them.
PORTS = {
    "KAFKA_PORT": _BASE + 40,
    "KAFKA_CONTROLLER_PORT": _BASE + 41,
    "FERRETDB_PORT": _BASE + 42,
    "INTAKE_PORT": _BASE + 43,
    "ROUTER_PORT": _BASE + 44,
    "LLM_WORKER_PORT": _BASE + 45,
    "HEALTH_PORT": _BASE + 46,
    "REDIS_PORT": _BASE + 140,
}


def project_processes(state_dir: Path, recorded: set[int]) -> dict[int, str]:
    """Live processes whose environment names `state_dir` as DENIALOPS_STATE_DIR, or whose pid is in
    `recorded`, with their command."""
    marker = f"DENIALOPS_STATE_DIR={state_dir}".encode()
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if int(proc.name) not in recorded and marker not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue  # exited; only its parent has yet to reap it
            found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # exited meanwhile, or not ours to read
    return found


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[dict[str, str]]:
    ports = {name: str(port) for name, port in PORTS.items()}
    env = {
        **os.environ,
        **ports,
        "DENIALOPS_STATE_DIR": str(tmp_path),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports['KAFKA_PORT']}",
        "MONGODB_URI": f"mongodb://127.0.0.1:{ports['FERRETDB_PORT']}",
        "REDIS_URL": f"redis://127.0.0.1:{ports['REDIS_PORT']}/0",
        "CACHE_BACKEND": "redis",
        "DENIALOPS_CLI": str(Path(sys.executable).parent / "denialops"),
    }
    env.pop("DENIALOPS_API_KEY", None)
    try:
        yield env
    finally:
        subprocess.run(["make", "--no-print-directory", "down"], cwd=ROOT, env=env, capture_output=True, check=False)


def test_make_down_leaves_no_process_of_the_project(deployment: dict[str, str]) -> None:
    state_dir = Path(deployment["DENIALOPS_STATE_DIR"])
    for script in ("infra.sh start", "services.sh start", "dev-tenant.sh"):
        name, *args = script.split()
        subprocess.run([ROOT / "deploy" / "local" / name, *args], env=deployment, check=True, capture_output=True)
    key = (state_dir / "api-key").read_text(encoding="utf-8").strip()
    intake = f"http://127.0.0.1:{deployment['INTAKE_PORT']}"
    with httpx.Client(base_url=intake, timeout=30, headers={"Authorization": f"Bearer {key}"}) as client:
        _, task_id = submit(client, LETTER)
        assert wait_for_task(client, task_id)["status"] == "succeeded"
    recorded = {int(pid_file.read_text()) for pid_file in (state_dir / "pids").glob("*.pid")}
    started = project_processes(state_dir, recorded)
    commands = " ".join(started.values())
    for expected in ("denialops_intake", "denialops_router", "multiprocessing.spawn", "resource_tracker"):
        assert expected in commands
    database = {"ferretdb": "ferretdb-launcher", "secantus": "secantusd-rs"}[
        deployment.get("DENIALOPS_DATABASE", "ferretdb")
    ]
    for expected in ("kafka.Kafka", database, "redis-server"):
        assert expected in commands

    subprocess.run(["make", "--no-print-directory", "down"], cwd=ROOT, env=deployment, check=True, capture_output=True)

    deadline = time.monotonic() + 2  # `down` has waited for everything; this only absorbs /proc's lag
    while project_processes(state_dir, recorded) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert project_processes(state_dir, recorded) == {}
