"""A kill -9 of the database loses no acknowledged write (on the server DENIALOPS_DATABASE selects).

The services count on it: once an insert or update is acknowledged, the outbox and the consumers' commits
move on. A killed process leaves what it wrote in the kernel's page cache, so this proves that the server
writes its log before it acknowledges and recovers from it; a machine crash needs the log fsynced too,
which SecantusDB does only with `sync_on_commit` (infra.sh sets it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from tests.infra import INFRA_SCRIPT
from tests.support.ports import free_ports

pytestmark = pytest.mark.system

INSERTS = 2000


@pytest.fixture
def database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a database server of this test's own (state in tmp_path, a free port)."""
    (port,) = free_ports(1)
    env = {**os.environ, "DENIALOPS_STATE_DIR": str(tmp_path), "FERRETDB_PORT": str(port)}
    env.pop("SECANTUS_PORT", None)
    subprocess.run([INFRA_SCRIPT, "start", "database"], env=env, check=True, capture_output=True)
    try:
        yield env
    finally:
        subprocess.run([INFRA_SCRIPT, "stop", "database"], env=env, check=False, capture_output=True)


def kill_9(state_dir: Path) -> None:
    (pid_file,) = (state_dir / "pids").glob("*.pid")  # the database is all this deployment runs
    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            break  # dead; its parent (init) has yet to reap it
        time.sleep(0.05)


def test_acknowledged_inserts_survive_a_kill_9(database: dict[str, str]) -> None:
    uri = f"mongodb://127.0.0.1:{database['FERRETDB_PORT']}"
    body = "x" * 2000
    writer: MongoClient[dict[str, Any]] = MongoClient(uri, serverSelectionTimeoutMS=5000)
    with writer:
        for i in range(INSERTS):
            writer.durability.docs.insert_one({"_id": i, "body": body})  # returns once acknowledged

    kill_9(Path(database["DENIALOPS_STATE_DIR"]))
    subprocess.run([INFRA_SCRIPT, "start", "database"], env=database, check=True, capture_output=True)

    reader: MongoClient[dict[str, Any]] = MongoClient(uri, serverSelectionTimeoutMS=5000)
    with reader:
        stored = sorted(doc["_id"] for doc in reader.durability.docs.find({}, {"_id": 1}))
    assert stored == list(range(INSERTS))
