"""The model client through the real SDK over real HTTP, against the local fake server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pydantic import BaseModel, ConfigDict, SecretStr

from denialops_shared.llm.circuit import CircuitBreaker
from denialops_shared.llm.client import LlmClient, LlmRequest, LlmUnavailable, TextRequest
from denialops_shared.llm.prompts import Prompt
from denialops_shared.llm.settings import LlmSettings, create_client
from tests.support.fake_openai import FakeOpenAI

PROMPT = Prompt(name="test", version="v0", system="Answer in JSON.")


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    word: str
    count: int


REQUEST = LlmRequest(prompt=PROMPT, user="hello", schema=Answer, temperature=0.0)


# One server per test: a late request of an earlier test (a timed-out call still in flight) must not
# consume this test's scripted failures or count in its statistics.
@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(fake: FakeOpenAI) -> None:
    fake.reset()


def make_client(fake: FakeOpenAI, breaker: CircuitBreaker | None = None, **overrides: Any) -> LlmClient:
    # Generous: the fake answers at once, but a busy CI machine may be slow to schedule it.
    options: dict[str, Any] = {"timeout_seconds": 10, **overrides}
    settings = LlmSettings(api_key=SecretStr("sk-test"), base_url=fake.api_base, **options)
    client = create_client(settings)
    assert client is not None

    async def no_wait(_: float) -> None:
        await asyncio.sleep(0)

    return LlmClient(settings, client, breaker or CircuitBreaker(100, 60), sleep=no_wait)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_structured_answer_is_parsed_and_its_tokens_and_cost_are_counted(fake: FakeOpenAI) -> None:
    fake.configure(responses={"Answer": {"word": "yes", "count": 3}})
    tokens, cost = metric("denialops_llm_tokens_total", kind="completion"), metric("denialops_llm_cost_usd_total")

    answer = await make_client(fake).complete(REQUEST)

    assert answer == Answer(word="yes", count=3)
    sent = fake.requests()[0]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["name"] == "Answer"
    assert sent["messages"][0] == {"role": "system", "content": "Answer in JSON."}
    assert metric("denialops_llm_tokens_total", kind="completion") > tokens
    assert metric("denialops_llm_cost_usd_total") > cost


@pytest.mark.parametrize(("status", "reason"), [(429, "rate_limited"), (500, "server_error"), (503, "server_error")])
async def test_rate_limits_and_server_errors_are_retried(fake: FakeOpenAI, status: int, reason: str) -> None:
    fake.configure(fail_next=[{"status": status, "retry_after": 0.01}, {"status": status}])
    retries = metric("denialops_llm_retries_total", reason=reason)

    answer = await make_client(fake, max_retries=2).complete(REQUEST)

    assert answer == Answer(word="", count=0)
    assert fake.stats()["requests"] == 3
    assert metric("denialops_llm_retries_total", reason=reason) == retries + 2


async def test_retry_after_is_honoured_and_backoff_is_jittered(fake: FakeOpenAI) -> None:
    settings = LlmSettings(api_key=SecretStr("sk-test"), base_url=fake.api_base, max_retries=2)
    client = create_client(settings)
    assert client is not None
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    llm = LlmClient(settings, client, CircuitBreaker(100, 60), sleep=sleep, jitter=lambda: 0.5)
    fake.configure(fail_next=[{"status": 429, "retry_after": 3}, {"status": 500}])

    await llm.complete(REQUEST)

    # Retry-After 3 s plus jitter, then half of the second exponential step (0.5 s).
    assert slept == [3.125, 0.25]


async def test_a_429_waits_the_retry_after_ms_it_was_given(fake: FakeOpenAI) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    fake.configure(fail_next=[{"status": 429, "retry_after": 7, "headers": {"retry-after-ms": "150"}}])
    llm = make_client(fake, max_retries=2)
    llm._sleep, llm._jitter = sleep, lambda: 0.0

    assert await llm.complete(REQUEST) == Answer(word="", count=0)

    # The milliseconds win over the seconds (as the SDK reads them), never a shorter wait.
    assert slept == [0.15]
    assert fake.stats()["requests"] == 2


async def test_a_503_the_server_says_not_to_retry_is_not_retried(fake: FakeOpenAI) -> None:
    fake.configure(fail_next=[{"status": 503, "headers": {"x-should-retry": "false"}}, {"status": 503}])
    retries = metric("denialops_llm_retries_total", reason="server_error")
    with pytest.raises(LlmUnavailable) as failed:
        await make_client(fake, max_retries=3).complete(REQUEST)
    assert failed.value.reason == "server_error"
    assert fake.stats()["requests"] == 1
    assert metric("denialops_llm_retries_total", reason="server_error") == retries


async def test_a_client_error_the_server_says_to_retry_is_retried(fake: FakeOpenAI) -> None:
    fake.configure(fail_next=[{"status": 409, "headers": {"x-should-retry": "true"}}])
    assert await make_client(fake, max_retries=1).complete(REQUEST) == Answer(word="", count=0)
    assert fake.stats()["requests"] == 2


async def test_a_retry_after_longer_than_a_case_may_wait_ends_the_call(fake: FakeOpenAI) -> None:
    fake.configure(fail_next=[{"status": 429, "retry_after": 120}])
    with pytest.raises(LlmUnavailable) as failed:
        await make_client(fake, max_retries=3, retry_max_seconds=8).complete(REQUEST)
    assert failed.value.reason == "rate_limited"
    assert fake.stats()["requests"] == 1


async def test_retries_are_bounded(fake: FakeOpenAI) -> None:
    fake.configure(fail_next=[{"status": 500}] * 5)
    with pytest.raises(LlmUnavailable) as failed:
        await make_client(fake, max_retries=1).complete(REQUEST)
    assert failed.value.reason == "server_error"
    assert fake.stats()["requests"] == 2


async def test_a_client_error_is_not_retried(fake: FakeOpenAI) -> None:
    fake.configure(fail_next=[{"status": 400}])
    with pytest.raises(LlmUnavailable) as failed:
        await make_client(fake, max_retries=3).complete(REQUEST)
    assert failed.value.reason == "rejected"
    assert fake.stats()["requests"] == 1


async def test_a_slow_answer_times_out(fake: FakeOpenAI) -> None:
    fake.configure(latency_ms=1500)
    with pytest.raises(LlmUnavailable) as failed:
        await make_client(fake, timeout_seconds=0.2, max_retries=0).complete(REQUEST)
    assert failed.value.reason == "timeout"


async def test_malformed_json_is_invalid_and_not_retried(fake: FakeOpenAI) -> None:
    fake.configure(fail_next=[{"malformed": True}])
    invalid = metric("denialops_llm_calls_total", prompt="test@v0", outcome="invalid")
    with pytest.raises(LlmUnavailable) as failed:
        await make_client(fake, max_retries=3).complete(REQUEST)
    assert failed.value.reason == "invalid"
    assert fake.stats()["requests"] == 1
    assert metric("denialops_llm_calls_total", prompt="test@v0", outcome="invalid") == invalid + 1


async def test_an_answer_of_the_wrong_shape_is_invalid(fake: FakeOpenAI) -> None:
    fake.configure(responses={"Answer": {"word": "yes"}})
    with pytest.raises(LlmUnavailable, match="invalid"):
        await make_client(fake).complete(REQUEST)


async def test_an_open_circuit_sends_nothing_until_it_may_probe(fake: FakeOpenAI) -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, reset_seconds=30, clock=lambda: now[0])
    llm = make_client(fake, breaker, max_retries=0)
    fake.configure(fail_next=[{"status": 500}] * 2)
    for _ in range(2):
        with pytest.raises(LlmUnavailable):
            await llm.complete(REQUEST)

    with pytest.raises(LlmUnavailable) as refused:
        await llm.complete(REQUEST)
    assert refused.value.reason == "circuit_open"
    assert fake.stats()["requests"] == 2
    assert metric("denialops_llm_circuit_open") == 1

    now[0] = 31.0
    assert await llm.complete(REQUEST) == Answer(word="", count=0)
    assert fake.stats()["requests"] == 3
    assert metric("denialops_llm_circuit_open") == 0


async def test_a_cancelled_probe_lets_the_next_call_probe(fake: FakeOpenAI) -> None:
    """A failing case cancels the other cases of its consumer batch: the probe among them must not lock
    the circuit open."""
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, reset_seconds=30, clock=lambda: now[0])
    llm = make_client(fake, breaker, max_retries=0)
    fake.configure(fail_next=[{"status": 500}])
    with pytest.raises(LlmUnavailable):
        await llm.complete(REQUEST)
    now[0] = 31.0
    fake.configure(latency_ms=5000)
    cancelled = metric("denialops_llm_calls_total", prompt="test@v0", outcome="cancelled")
    probe = asyncio.create_task(llm.complete(REQUEST))
    await asyncio.sleep(0.5)
    assert fake.stats()["in_flight"] == 1  # the probe is on the wire
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    assert metric("denialops_llm_calls_total", prompt="test@v0", outcome="cancelled") == cancelled + 1

    fake.configure(latency_ms=0)
    assert await llm.complete(REQUEST) == Answer(word="", count=0)
    assert metric("denialops_llm_circuit_open") == 0


async def test_a_stream_is_retried_until_its_first_token(fake: FakeOpenAI) -> None:
    fake.configure(stream_text="one two three", fail_next=[{"status": 503}])
    text = TextRequest(prompt=PROMPT, user="hello", temperature=0.0)

    parts = [part async for part in make_client(fake, max_retries=1).stream(text)]

    assert "".join(parts).split() == ["one", "two", "three"]
    assert fake.stats()["requests"] == 2
    assert fake.requests()[-1]["stream"] is True


async def test_a_stream_behind_an_open_circuit_sends_nothing(fake: FakeOpenAI) -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_seconds=30, clock=lambda: 0.0)
    llm = make_client(fake, breaker, max_retries=0)
    fake.configure(fail_next=[{"status": 500}])
    text = TextRequest(prompt=PROMPT, user="hello", temperature=0.0)
    for reason in ("server_error", "circuit_open"):
        with pytest.raises(LlmUnavailable) as failed:
            _ = [part async for part in llm.stream(text)]
        assert failed.value.reason == reason
    assert fake.stats()["requests"] == 1


async def test_concurrent_calls_never_exceed_the_bound(fake: FakeOpenAI) -> None:
    # Long enough that requests overlap even on a busy machine: the bound, not the CPU, must cap them.
    fake.configure(latency_ms=300)
    llm = make_client(fake, max_concurrency=3)

    await asyncio.gather(*(llm.complete(REQUEST) for _ in range(15)))

    stats = fake.stats()
    assert stats["requests"] == 15
    assert stats["max_in_flight"] == 3


async def test_no_key_means_no_client() -> None:
    assert create_client(LlmSettings(api_key=None)) is None
    assert create_client(LlmSettings(api_key=SecretStr("  "))) is None
