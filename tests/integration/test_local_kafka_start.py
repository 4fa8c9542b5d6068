"""deploy/local/infra.sh formats a new Kafka's storage with whatever cluster id it drew.

One id in 64 starts with '-', which the storage tool once read as an option: that Kafka never started
(a system test's stack failed to come up this way).
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest

from tests.infra import ROOT
from tests.support.ports import free_ports

pytestmark = pytest.mark.integration

INFRA = ROOT / "deploy" / "local" / "infra.sh"


def cluster_id_starting_with_dash() -> str:
    while not (drawn := base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")).startswith("-"):
        pass
    return drawn


def test_a_cluster_id_that_starts_with_a_dash_is_formatted_and_the_broker_starts(tmp_path: Path) -> None:
    cluster_id = cluster_id_starting_with_dash()
    (tmp_path / "kafka").mkdir()
    (tmp_path / "kafka" / "cluster.id").write_text(cluster_id)
    port, controller = free_ports(2)
    env = {
        **os.environ,
        "DENIALOPS_STATE_DIR": str(tmp_path),
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(controller),
    }
    try:
        started = subprocess.run([INFRA, "start", "kafka"], env=env, capture_output=True, text=True, timeout=600)
        assert started.returncode == 0, started.stderr[-2000:]
        meta = (tmp_path / "kafka" / "data" / "meta.properties").read_text()
        assert f"cluster.id={cluster_id}" in meta
    finally:
        subprocess.run([INFRA, "stop", "kafka"], env=env, capture_output=True, timeout=60)
