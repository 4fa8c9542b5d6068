"""A whole DenialOps deployment of its own (Kafka, FerretDB, four services) that tests may break.

It runs on free loopback ports with its own state directory, so killing and restarting its parts
never disturbs anything else on the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.infra import ROOT
from tests.support.ports import free_ports

INFRA = ROOT / "deploy" / "local" / "infra.sh"
SERVICES = ROOT / "deploy" / "local" / "services.sh"
DEV_TENANT = ROOT / "deploy" / "local" / "dev-tenant.sh"
SERVICE_NAMES = ("intake", "router", "llm-worker", "health")


class ScriptFailed(RuntimeError):
    """A deploy script (infra, services, dev tenant) exited non-zero; the message ends with its stderr."""


@dataclass
class Deployment:
    state_dir: Path
    ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    tenant: str = "system"
    api_key: str = ""

    @classmethod
    def create(cls, state_dir: Path, partitions: int = 3, extra_env: dict[str, str] | None = None) -> Deployment:
        """A deployment on free ports; `extra_env` (e.g. an LLM endpoint) is added to every process's environment."""
        names = ("kafka", "controller", "ferretdb", "redis", *SERVICE_NAMES)
        ports = dict(zip(names, free_ports(len(names)), strict=True))
        suffix = uuid.uuid4().hex[:8]
        env = {
            **os.environ,
            "DENIALOPS_STATE_DIR": str(state_dir),
            "KAFKA_PORT": str(ports["kafka"]),
            "KAFKA_CONTROLLER_PORT": str(ports["controller"]),
            "FERRETDB_PORT": str(ports["ferretdb"]),
            "REDIS_PORT": str(ports["redis"]),
            "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports['kafka']}",
            "MONGODB_URI": f"mongodb://127.0.0.1:{ports['ferretdb']}",
            "KAFKA_TOPIC_PARTITIONS": str(partitions),
            "INTAKE_PORT": str(ports["intake"]),
            "ROUTER_PORT": str(ports["router"]),
            "LLM_WORKER_PORT": str(ports["llm-worker"]),
            "HEALTH_PORT": str(ports["health"]),
            "INTAKE_MONGODB_DATABASE": f"sys_intake_{suffix}",
            "ROUTER_MONGODB_DATABASE": f"sys_router_{suffix}",
            "LLM_WORKER_MONGODB_DATABASE": f"sys_llm_worker_{suffix}",
            "HEALTH_MONGODB_DATABASE": f"sys_health_{suffix}",
            "KAFKA_GROUP_PREFIX": f"sys-{suffix}",
            "OUTBOX_SWEEP_SECONDS": "1",
            # The load polls hundreds of tasks a second; the per-tenant limit is tested elsewhere.
            "INTAKE_RATE_LIMIT": "100000/second",
            # Runs pile up while a fault lasts; load shedding is tested elsewhere and must not slow recovery.
            "INTAKE_MAX_RUNS_IN_FLIGHT": "100000",
            "INTAKE_MAX_REQUESTS_IN_FLIGHT": "100000",
        }
        env.update(extra_env or {})
        env.pop("E2E_PORT_BASE", None)
        env.pop("DENIALOPS_API_KEY", None)
        return cls(state_dir=state_dir, ports=ports, env=env)

    @property
    def kafka_bootstrap(self) -> str:
        return self.env["KAFKA_BOOTSTRAP_SERVERS"]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def infra(self, *args: str) -> None:
        self._run(INFRA, *args)

    def services(self, *args: str) -> None:
        self._run(SERVICES, *args)

    def _run(self, script: Path, *args: str, extra_env: dict[str, str] | None = None) -> None:
        env = {**self.env, **(extra_env or {})}
        done = subprocess.run([script, *args], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            # The scripts say why on stderr (a port in use, the last lines of a log): keep it in the failure.
            raise ScriptFailed(f"{script.name} {' '.join(args)} exited {done.returncode}:\n{done.stderr[-4000:]}")

    def start(self) -> None:
        self.infra("start")
        self.services("start")
        # The same script `make up` runs: creates the tenant and writes its key into the state dir.
        cli = str(Path(sys.executable).parent / "denialops")
        self._run(DEV_TENANT, extra_env={"DENIALOPS_DEV_TENANT": self.tenant, "DENIALOPS_CLI": cli})
        self.api_key = (self.state_dir / "api-key").read_text(encoding="utf-8").strip()

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def stop(self) -> None:
        subprocess.run([SERVICES, "stop"], env=self.env, check=False, capture_output=True)
        subprocess.run([INFRA, "stop"], env=self.env, check=False, capture_output=True)

    def kill(self, service: str) -> None:
        """kill -9: no shutdown hook runs, in-flight work is lost from memory."""
        pid = int((self.state_dir / "pids" / f"service-{service}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def wait_all_ready(self, wait_seconds: float = 120) -> float:
        """Seconds until every service answers /health/ready with 200."""
        started = time.monotonic()
        pending = set(SERVICE_NAMES)
        while pending:
            if time.monotonic() - started > wait_seconds:
                raise AssertionError(f"not ready after {wait_seconds}s: {sorted(pending)}")
            for name in list(pending):
                try:
                    if httpx.get(f"{self.url(name)}/health/ready", timeout=2).status_code == 200:
                        pending.discard(name)
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        return time.monotonic() - started

    def log_dir(self) -> Path:
        return self.state_dir / "logs"
