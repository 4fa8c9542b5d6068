"""Two llm-worker replicas sharing the Redis cache: a repeated case that reaches the other replica is
answered from Redis, and the model sees no new call."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from redis import Redis

from tests.e2e.conftest import _BASE, Stack, ports, running_stack
from tests.e2e.test_pipeline import submit, wait_for_task
from tests.infra import ROOT, Endpoints
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.e2e

LETTER = ROOT / "data" / "samples" / "letters" / "004.txt"
PORTS = ports(_BASE + 20)
SECOND_REPLICA_PORT = _BASE + 24
# A database of the Redis this test alone uses, so it can start from an empty cache.
REDIS_DB = 3
# With 3 partitions shared by 2 replicas, each case lands on the other replica with a chance of at least
# 1/3: this many repeats miss it with a chance below 1 in 10,000.
MAX_REPEATS = 24


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def replicated(infra: Endpoints, fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    redis_url = infra.redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    Redis.from_url(redis_url).flushdb()
    extra_env = {
        "LLM_API_KEY": "sk-e2e-redis",
        "LLM_BASE_URL": fake.api_base,
        "LLM_TIMEOUT_SECONDS": "5",
        "CACHE_BACKEND": "redis",
        "REDIS_URL": redis_url,
        "LLM_WORKER_REPLICAS": "2",
        "LLM_WORKER_REPLICA_PORTS": str(SECOND_REPLICA_PORT),
    }
    with running_stack(infra, tmp_path_factory.mktemp("redis-stack"), PORTS, extra_env) as stack:
        yield stack


def cache_counts(port: int) -> tuple[float, float]:
    """The replica's Redis cache (hits, misses)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line[:1] != "#"}
    return (
        samples.get('denialops_llm_cache_hits_total{backend="redis"}', 0.0),
        samples.get('denialops_llm_cache_misses_total{backend="redis"}', 0.0),
    )


def test_the_second_replica_answers_a_repeated_case_from_redis(replicated: Stack, fake: FakeOpenAI) -> None:
    fake.reset()
    replicas = [PORTS["llm-worker"], SECOND_REPLICA_PORT]
    with httpx.Client(base_url=replicated.intake, timeout=30, headers=replicated.auth()) as client:
        _, task_id = submit(client, LETTER)
        assert wait_for_task(client, task_id)["status"] == "succeeded"
        calls = fake.stats()["requests"]
        assert calls >= 1
        first = [port for port in replicas if cache_counts(port)[1] > 0]
        assert len(first) == 1, "one replica asked the model"
        other = next(port for port in replicas if port not in first)

        for _ in range(MAX_REPEATS):
            _, task_id = submit(client, LETTER)
            assert wait_for_task(client, task_id)["status"] == "succeeded"
            assert fake.stats()["requests"] == calls  # every answer came from Redis
            hits, misses = cache_counts(other)
            if hits:
                break
        else:
            pytest.fail(f"no repeated case reached the other replica in {MAX_REPEATS} tries")
    assert misses == 0  # the other replica never had to ask the model
