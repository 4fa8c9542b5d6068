"""Where the tests find Kafka, the MongoDB-compatible database and Redis.

In order: testcontainers when a Docker daemon answers; else `KAFKA_BOOTSTRAP_SERVERS`, `MONGODB_URI`
and `REDIS_URL` from the environment; else the local stack (deploy/local/infra.sh, with the database
server that `DENIALOPS_DATABASE` names), which is started for the session and stopped afterwards if
the tests started it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INFRA_SCRIPT = ROOT / "deploy" / "local" / "infra.sh"


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap_servers: str
    mongodb_uri: str
    redis_url: str


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def _containers() -> Iterator[Endpoints]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer
    from testcontainers.redis import RedisContainer

    with KafkaContainer().with_kraft() as kafka, MongoDbContainer("mongo:7") as mongo, RedisContainer() as redis:
        redis_url = f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0"
        yield Endpoints(kafka.get_bootstrap_server(), mongo.get_connection_url(), redis_url)


# The tests' own broker and database (state under .local/test-infra, ports beside the defaults), so a
# stack started with `make up` never sees the tests' events, and the tests never see its data. The
# database server is DENIALOPS_DATABASE's (ferretdb or secantus, see deploy/local/README.md).
TEST_INFRA = {
    "DENIALOPS_DATABASE": os.environ.get("DENIALOPS_DATABASE", "ferretdb"),
    "DENIALOPS_STATE_DIR": os.environ.get("TEST_STATE_DIR", str(ROOT / ".local" / "test-infra")),
    "KAFKA_PORT": os.environ.get("TEST_KAFKA_PORT", "19092"),
    "KAFKA_CONTROLLER_PORT": os.environ.get("TEST_KAFKA_CONTROLLER_PORT", "19093"),
    "FERRETDB_PORT": os.environ.get("TEST_FERRETDB_PORT", "27018"),
    "REDIS_PORT": os.environ.get("TEST_REDIS_PORT", "16379"),
}


@contextlib.contextmanager
def _local_stack() -> Iterator[Endpoints]:
    env = {**os.environ, **TEST_INFRA}
    already_running = (
        subprocess.run([INFRA_SCRIPT, "status"], env=env, capture_output=True, check=False).returncode == 0
    )
    if not already_running:
        subprocess.run([INFRA_SCRIPT, "start"], env=env, check=True)
    try:
        yield Endpoints(
            f"127.0.0.1:{env['KAFKA_PORT']}",
            f"mongodb://127.0.0.1:{env['FERRETDB_PORT']}",
            f"redis://127.0.0.1:{env['REDIS_PORT']}/0",
        )
    finally:
        if not already_running:
            subprocess.run([INFRA_SCRIPT, "stop"], env=env, check=False)


@contextlib.contextmanager
def endpoints() -> Iterator[Endpoints]:
    if _docker_answers():
        with _containers() as found:
            yield found
    elif all(os.environ.get(name) for name in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "REDIS_URL")):
        yield Endpoints(os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["MONGODB_URI"], os.environ["REDIS_URL"])
    else:
        with _local_stack() as found:
            yield found
