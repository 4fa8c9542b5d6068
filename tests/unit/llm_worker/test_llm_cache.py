"""The LLM cache: its key, the in-memory LRU (cachetools), and the decorator around a completer."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY
from pydantic import BaseModel

from denialops_shared.llm.cache import CachedCompleter, MemoryCache, cache_key
from denialops_shared.llm.client import LlmRequest, TextRequest
from denialops_shared.llm.prompts import Prompt
from tests.support.completers import CountingCompleter

LETTER = "Jane Roe, member XJ4471902"


class Answer(BaseModel):
    text: str


class OtherAnswer(BaseModel):
    text: str
    extra: int


def request(
    user: str = LETTER, temperature: float = 0.0, version: str = "v1", schema: type[BaseModel] = Answer
) -> LlmRequest[Any]:
    return LlmRequest(prompt=Prompt("compose", version, "system"), user=user, schema=schema, temperature=temperature)


def cached(inner: CountingCompleter, backend: MemoryCache) -> CachedCompleter:
    return CachedCompleter(inner, backend, provider="openai", model="m", max_temperature=0.2)


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"backend": "memory"}) or 0.0


def test_the_key_is_a_sha256_over_everything_that_changes_the_answer() -> None:
    key = cache_key("openai", "m", request())
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert LETTER not in key
    assert cache_key("openai", "m", request()) == key
    variants = {
        cache_key("other", "m", request()),
        cache_key("openai", "m2", request()),
        cache_key("openai", "m", request(version="v2")),
        cache_key("openai", "m", request(temperature=0.1)),
        cache_key("openai", "m", request(user=LETTER + ".")),
        cache_key("openai", "m", request(schema=OtherAnswer)),
    }
    assert key not in variants
    assert len(variants) == 6


async def test_the_lru_evicts_the_least_recently_used_and_counts_its_entries() -> None:
    cache = MemoryCache(max_entries=2, ttl_seconds=60)
    await cache.set("a", "1")
    await cache.set("b", "2")
    assert await cache.get("a") == "1"  # now `b` is the least recently used
    await cache.set("c", "3")
    assert (await cache.get("a"), await cache.get("b"), await cache.get("c")) == ("1", None, "3")
    assert len(cache) == 2
    assert metric("denialops_llm_cache_entries") == 2


async def test_an_expired_entry_is_a_miss() -> None:
    now = [0.0]
    cache = MemoryCache(max_entries=10, ttl_seconds=5, clock=lambda: now[0])
    await cache.set("a", "1")
    now[0] = 4.9
    assert await cache.get("a") == "1"
    now[0] = 5.0
    assert await cache.get("a") is None
    assert len(cache) == 0


async def test_a_repeated_call_is_answered_from_the_cache() -> None:
    inner = CountingCompleter()
    completer = cached(inner, MemoryCache(100, ttl_seconds=60))
    hits, misses = metric("denialops_llm_cache_hits_total"), metric("denialops_llm_cache_misses_total")

    first = await completer.complete(request())
    second = await completer.complete(request())

    assert first == second == Answer(text="answer 1")
    assert inner.calls == 1
    assert metric("denialops_llm_cache_hits_total") == hits + 1
    assert metric("denialops_llm_cache_misses_total") == misses + 1


async def test_calls_above_the_temperature_threshold_are_never_cached() -> None:
    inner = CountingCompleter()
    completer = cached(inner, MemoryCache(100, ttl_seconds=60))
    await completer.complete(request(temperature=0.7))
    await completer.complete(request(temperature=0.7))
    assert inner.calls == 2


async def test_an_entry_an_older_schema_wrote_is_asked_again() -> None:
    inner = CountingCompleter()
    backend = MemoryCache(100, ttl_seconds=60)
    await backend.set(cache_key("openai", "m", request()), '{"unexpected": true}')

    answer = await cached(inner, backend).complete(request())

    assert answer == Answer(text="answer 1")
    assert await backend.get(cache_key("openai", "m", request())) == '{"text":"answer 1"}'


async def test_a_repeated_stream_is_answered_whole_from_the_cache() -> None:
    inner = CountingCompleter()
    completer = cached(inner, MemoryCache(100, ttl_seconds=60))
    text = TextRequest(prompt=Prompt("summary", "v1", "system"), user=LETTER, temperature=0.0)

    first = [part async for part in completer.stream(text)]
    second = [part async for part in completer.stream(text)]

    assert first == ["streamed ", "answer ", "1"]
    assert second == ["streamed answer 1"]
    assert inner.calls == 1
    assert cache_key("openai", "m", text) != cache_key("openai", "m", request())
