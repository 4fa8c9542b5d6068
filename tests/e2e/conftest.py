"""The four services started as real processes, the same way `make up` starts them.

The stack has a tenant with an API key, created the way an operator does (`denialops keys create`);
`client` sends that key.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
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


def ports(base: int) -> dict[str, int]:
    return {"intake": base, "router": base + 1, "llm-worker": base + 2, "health": base + 3}


PORTS = ports(_BASE)


@dataclass(frozen=True)
class Stack:
    infra: Endpoints
    urls: dict[str, str]
    log_dir: Path
    env: dict[str, str]
    tenant: str
    api_key: str

    @property
    def intake(self) -> str:
        return self.urls["intake"]

    def keys(self, *args: str) -> str:
        """Run `denialops keys ARGS` against this stack's intake database; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "denialops_cli.main", "keys", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def new_key(self, tenant: str) -> str:
        """A new API key for `tenant` (registered if new)."""
        return self.keys("create", tenant, "--name", "e2e").strip().splitlines()[0]

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.api_key}"}


@contextlib.contextmanager
def running_stack(
    infra: Endpoints, state_dir: Path, ports: dict[str, int] = PORTS, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """A stack on `ports`, its services started with `extra_env` added to the environment."""
    suffix = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "DENIALOPS_STATE_DIR": str(state_dir),
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
        "MONGODB_URI": infra.mongodb_uri,
        "INTAKE_PORT": str(ports["intake"]),
        "ROUTER_PORT": str(ports["router"]),
        "LLM_WORKER_PORT": str(ports["llm-worker"]),
        "HEALTH_PORT": str(ports["health"]),
        "INTAKE_MONGODB_DATABASE": f"e2e_intake_{suffix}",
        "ROUTER_MONGODB_DATABASE": f"e2e_router_{suffix}",
        "LLM_WORKER_MONGODB_DATABASE": f"e2e_llm_worker_{suffix}",
        "HEALTH_MONGODB_DATABASE": f"e2e_health_{suffix}",
        # Consumer groups of their own: intake only knows this stack's tenants and dead-letters the events
        # of another stack's, so stacks sharing the broker must not share partitions.
        "KAFKA_GROUP_PREFIX": f"e2e-{suffix}",
        # A fresh group on a broker other stacks used would first replay their whole history.
        "KAFKA_AUTO_OFFSET_RESET": "latest",
        "CLOCK_TODAY": "2025-01-15",
        "POLL_SECONDS": "1",
        **(extra_env or {}),
    }
    env.pop("DENIALOPS_API_KEY", None)
    subprocess.run([SERVICES_SCRIPT, "start"], env=env, check=True)
    try:
        tenant = f"e2e-{suffix}"
        key_file = state_dir / "api-key"
        # The same script `make up` runs: it creates the key and writes it where the CLI finds it.
        cli = str(Path(sys.executable).parent / "denialops")
        subprocess.run(
            [ROOT / "deploy" / "local" / "dev-tenant.sh"],
            env={**env, "DENIALOPS_DEV_TENANT": tenant, "DENIALOPS_CLI": cli},
            check=True,
            capture_output=True,
        )
        yield Stack(
            infra=infra,
            urls={name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
            log_dir=state_dir / "logs",
            env=env,
            tenant=tenant,
            api_key=key_file.read_text(encoding="utf-8").strip(),
        )
    finally:
        subprocess.run([SERVICES_SCRIPT, "stop"], env=env, check=False)


# Per module, so no two stacks share the broker at once: services of one would process the events of
# the other (each stack has its own consumer groups on the same topics).
@pytest.fixture(scope="module")
def stack(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(infra, tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.intake, timeout=30, headers=stack.auth()) as http:
        yield http
