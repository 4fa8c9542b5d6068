"""A service process waits for its dependencies, reports them in readiness, recovers, and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.infra import Endpoints
from tests.support.ports import free_port
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def wait_for(url: str, status: int, wait_seconds: float) -> httpx.Response:
    deadline = time.monotonic() + wait_seconds
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(url, timeout=2)
            if last.status_code == status:
                return last
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer {status} in {wait_seconds}s (last: {last})")


@pytest.fixture
def proxies(infra: Endpoints) -> Iterator[tuple[TcpProxy, TcpProxy]]:
    kafka = TcpProxy(*host_port(infra.kafka_bootstrap_servers))
    mongo = TcpProxy(*host_port(infra.mongodb_uri.removeprefix("mongodb://").split("/")[0]))
    yield kafka, mongo
    kafka.shutdown()
    mongo.shutdown()


def test_router_waits_for_kafka_and_the_database_then_recovers_and_stops_cleanly(
    proxies: tuple[TcpProxy, TcpProxy], tmp_path: Path, unique: str
) -> None:
    kafka, mongo = proxies
    port = free_port()
    log_path = tmp_path / "router.log"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka.port}",
        "MONGODB_URI": f"mongodb://127.0.0.1:{mongo.port}/?directConnection=true",
        "ROUTER_PORT": str(port),
        "ROUTER_MONGODB_DATABASE": f"lifecycle_{unique}",
        "KAFKA_GROUP_PREFIX": f"lifecycle-{unique}",
        "KAFKA_AUTO_OFFSET_RESET": "latest",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "denialops_router"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health/live", 200, 30)
        not_ready = wait_for(f"{base}/health/ready", 503, 10)
        assert not_ready.json()["checks"] == {"kafka": False, "database": False}

        kafka.open()
        mongo.open()
        wait_for(f"{base}/health/ready", 200, 60)

        mongo.close()
        assert wait_for(f"{base}/health/ready", 503, 20).json()["checks"]["database"] is False
        mongo.open()
        wait_for(f"{base}/health/ready", 200, 30)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    events = log_path.read_text(encoding="utf-8")
    assert '"event": "service.connected"' in events
    assert '"event": "service.stopped"' in events
