"""The Redis cache backend against a real redis-server: shared by replicas, expired by Redis itself, and
a Redis outage is a counted miss that never fails a call."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from pydantic import BaseModel
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from denialops_shared.llm.cache import REDIS_KEY_PREFIX, CachedCompleter, RedisCache, cache_key
from denialops_shared.llm.client import LlmRequest
from denialops_shared.llm.factory import redis_client
from denialops_shared.llm.prompts import Prompt
from denialops_shared.llm.settings import CacheSettings
from tests.infra import TEST_INFRA, Endpoints
from tests.support.completers import CountingCompleter

pytestmark = pytest.mark.integration

# Beside the session's Redis: a server of this test's own, to stop and start again.
OUTAGE_PORT = int(TEST_INFRA["REDIS_PORT"]) + 1


class Answer(BaseModel):
    text: str


def request() -> LlmRequest[Answer]:
    # A user message of its own per test: the session's Redis outlives a test.
    return LlmRequest(prompt=Prompt("p", "v1", "s"), user=str(uuid.uuid4()), schema=Answer, temperature=0.0)


def cached(model: CountingCompleter, backend: RedisCache) -> CachedCompleter:
    return CachedCompleter(model, backend, provider="openai", model="m", max_temperature=0.2)


def errors(operation: str) -> float:
    labels = {"backend": "redis", "operation": operation}
    return REGISTRY.get_sample_value("denialops_llm_cache_errors_total", labels) or 0.0


def client_for(url: str) -> Redis:
    return redis_client(CacheSettings(REDIS_URL=url, redis_timeout_seconds=0.5))


async def test_replicas_share_entries_under_the_hashed_key_and_redis_expires_them(infra: Endpoints) -> None:
    model = CountingCompleter()
    first, second = (RedisCache(client_for(infra.redis_url), ttl_seconds=60) for _ in range(2))
    call = request()

    assert await cached(model, first).complete(call) == Answer(text="answer 1")
    assert await cached(model, second).complete(call) == Answer(text="answer 1")
    assert model.calls == 1

    raw = client_for(infra.redis_url)
    key = REDIS_KEY_PREFIX + cache_key("openai", "m", call)
    assert await raw.get(key) == Answer(text="answer 1").model_dump_json()
    assert 59_000 < await raw.pttl(key) <= 60_000  # the TTL is Redis's own expiry

    short = RedisCache(raw, ttl_seconds=0.2)
    await short.set("short", "value")
    assert await short.get("short") == "value"
    await asyncio.sleep(0.4)
    assert await short.get("short") is None
    assert await raw.exists(REDIS_KEY_PREFIX + "short") == 0


class RedisServer:
    """A redis-server of the test's own on OUTAGE_PORT, to stop (the outage) and start again."""

    def __init__(self, state_dir: Path) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is installed by deploy/local/system-packages.sh"
        self.command = [server, "--bind", "127.0.0.1", "--port", str(OUTAGE_PORT), "--dir", str(state_dir)]
        self.command += ["--save", "", "--appendonly", "no"]
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{OUTAGE_PORT}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        probe = SyncRedis(port=OUTAGE_PORT, socket_timeout=0.5)
        for _ in range(100):
            try:
                probe.ping()
                return
            except RedisConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


async def test_a_redis_outage_is_a_counted_miss_and_the_cache_returns_with_redis(own_redis: RedisServer) -> None:
    own_redis.start()
    model = CountingCompleter()
    completer = cached(model, RedisCache(client_for(own_redis.url), ttl_seconds=60))
    call = request()
    await completer.complete(call)
    assert model.calls == 1

    own_redis.stop()
    read_errors, write_errors = errors("get"), errors("set")
    # The model answers every call while Redis is down: nothing fails, nothing is served from a cache.
    assert await completer.complete(call) == Answer(text="answer 2")
    assert await completer.complete(call) == Answer(text="answer 3")
    assert errors("get") == read_errors + 2
    assert errors("set") == write_errors + 2

    own_redis.start()  # an empty Redis (nothing is saved to disk): one miss, then hits again
    assert await completer.complete(call) == Answer(text="answer 4")
    assert await completer.complete(call) == Answer(text="answer 4")
    assert model.calls == 4
