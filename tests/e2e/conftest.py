"""The four services started as real processes, the same way `make up` starts them."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.infra import ROOT, Endpoints

SERVICES_SCRIPT = ROOT / "deploy" / "local" / "services.sh"
# Ports away from the defaults so a developer's running stack is left alone; E2E_PORT_BASE moves them.
_BASE = int(os.environ.get("E2E_PORT_BASE", "18000"))
PORTS = {"intake": _BASE, "router": _BASE + 1, "llm-worker": _BASE + 2, "health": _BASE + 3}


@dataclass(frozen=True)
class Stack:
    infra: Endpoints
    urls: dict[str, str]
    log_dir: Path

    @property
    def intake(self) -> str:
        return self.urls["intake"]


@pytest.fixture(scope="package")
def stack(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    state_dir = tmp_path_factory.mktemp("stack")
    suffix = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "DENIALOPS_STATE_DIR": str(state_dir),
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
        "MONGODB_URI": infra.mongodb_uri,
        "INTAKE_PORT": str(PORTS["intake"]),
        "ROUTER_PORT": str(PORTS["router"]),
        "LLM_WORKER_PORT": str(PORTS["llm-worker"]),
        "HEALTH_PORT": str(PORTS["health"]),
        "INTAKE_MONGODB_DATABASE": f"e2e_intake_{suffix}",
        "ROUTER_MONGODB_DATABASE": f"e2e_router_{suffix}",
        "LLM_WORKER_MONGODB_DATABASE": f"e2e_llm_worker_{suffix}",
        "HEALTH_MONGODB_DATABASE": f"e2e_health_{suffix}",
        "CLOCK_TODAY": "2025-01-15",
        "POLL_SECONDS": "1",
    }
    subprocess.run([SERVICES_SCRIPT, "start"], env=env, check=True)
    try:
        yield Stack(
            infra=infra,
            urls={name: f"http://127.0.0.1:{port}" for name, port in PORTS.items()},
            log_dir=state_dir / "logs",
        )
    finally:
        subprocess.run([SERVICES_SCRIPT, "stop"], env=env, check=False)


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.intake, timeout=30) as http:
        yield http
