"""The model client: one structured call, bounded in concurrency, retried with jitter, behind a circuit breaker.

Every failure ends as `LlmUnavailable` with a reason from a fixed vocabulary; callers fall back to
their templates. Errors are never logged or raised with the SDK's message, which may quote the
provider's response: only their class and our reason travel.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ValidationError

from denialops_llm_worker.llm.circuit import CircuitBreaker
from denialops_llm_worker.llm.metrics import CALL_SECONDS, CALLS, COST, IN_FLIGHT, RETRIES, TOKENS
from denialops_llm_worker.llm.prompts import Prompt
from denialops_shared.llm import LlmSettings

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

BACKOFF_BASE_SECONDS = 0.25
BACKOFF_MAX_SECONDS = 8.0


class LlmUnavailable(Exception):
    """The model gave no usable answer; `reason` is one of the `denialops_llm_calls_total` outcomes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LlmRequest(Generic[T]):
    """One structured call: the prompt's system message, the user message, the answer's model."""

    prompt: Prompt
    user: str
    schema: type[T]
    temperature: float

    @property
    def messages(self) -> list[ChatCompletionMessageParam]:
        return [{"role": "system", "content": self.prompt.system}, {"role": "user", "content": self.user}]


class Completer(Protocol):
    async def complete(self, request: LlmRequest[T]) -> T: ...


_SCHEMAS: dict[type[BaseModel], dict[str, Any]] = {}


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema, computed once per model."""
    schema = _SCHEMAS.get(model)
    if schema is None:
        schema = _SCHEMAS[model] = model.model_json_schema()
    return schema


def response_format(model: type[BaseModel]) -> ResponseFormatJSONSchema:
    """Structured outputs: the answer must match the pydantic model's JSON Schema."""
    return {
        "type": "json_schema",
        "json_schema": {"name": model.__name__, "schema": json_schema(model), "strict": True},
    }


class _Retryable(Exception):
    def __init__(self, reason: str, delay: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


def _retry_after(response_headers: Mapping[str, str]) -> float | None:
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = response_headers.get(header)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw) * scale)
        except ValueError:
            return None
    return None


def _classify(exc: Exception) -> LlmUnavailable | _Retryable:
    if isinstance(exc, openai.RateLimitError):
        return _Retryable("rate_limited", _retry_after(exc.response.headers))
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return _Retryable("server_error", _retry_after(exc.response.headers))
        return LlmUnavailable("rejected")
    if isinstance(exc, openai.APITimeoutError):
        return _Retryable("timeout", None)
    if isinstance(exc, openai.APIConnectionError):
        return _Retryable("connection", None)
    return LlmUnavailable("invalid")


class LlmClient:
    """`Completer` over an `AsyncOpenAI` client (whose own retries are off: these are counted here)."""

    def __init__(
        self,
        settings: LlmSettings,
        client: AsyncOpenAI,
        breaker: CircuitBreaker,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._client = client
        self._breaker = breaker
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._sleep = sleep
        self._jitter = jitter

    async def complete(self, request: LlmRequest[T]) -> T:
        prompt = request.prompt.id
        if not self._breaker.allow():
            CALLS.labels(prompt=prompt, outcome="circuit_open").inc()
            raise LlmUnavailable("circuit_open")
        started = time.perf_counter()
        try:
            value = await self._with_retries(request)
        except LlmUnavailable as exc:
            self._breaker.record_failure()
            CALLS.labels(prompt=prompt, outcome=exc.reason).inc()
            log.warning("llm_worker.llm.call_failed", extra={"prompt": prompt, "reason": exc.reason})
            raise
        finally:
            CALL_SECONDS.labels(prompt=prompt).observe(time.perf_counter() - started)
        self._breaker.record_success()
        CALLS.labels(prompt=prompt, outcome="ok").inc()
        return value

    async def _with_retries(self, request: LlmRequest[T]) -> T:
        attempt = 0
        while True:
            try:
                return await self._attempt(request)
            except _Retryable as exc:
                if attempt >= self.settings.max_retries:
                    raise LlmUnavailable(exc.reason) from None
                RETRIES.labels(reason=exc.reason).inc()
                await self._sleep(self._backoff(attempt, exc.delay))
                attempt += 1

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """The server's Retry-After when it gave one, else exponential backoff with full jitter."""
        if retry_after is not None:
            return min(retry_after, BACKOFF_MAX_SECONDS) + self._jitter() * BACKOFF_BASE_SECONDS
        return self._jitter() * min(BACKOFF_BASE_SECONDS * 2.0**attempt, BACKOFF_MAX_SECONDS)

    async def _attempt(self, request: LlmRequest[T]) -> T:
        # The slot is held only while a request is on the wire, never during a backoff sleep.
        async with self._slots:
            IN_FLIGHT.inc()
            try:
                completion = await self._client.chat.completions.create(
                    model=self.settings.model,
                    messages=request.messages,
                    temperature=request.temperature,
                    # Sent as is: the SDK walks typed parameters recursively with typing introspection
                    # before every request (openai/openai-python#3616), which for the nested JSON Schema
                    # cost more CPU than the rest of the call; this dict needs no transforming.
                    extra_body={"response_format": response_format(request.schema)},
                )
            except openai.OpenAIError as exc:
                classified = _classify(exc)
                raise classified from None
            finally:
                IN_FLIGHT.dec()
        self._account(completion)
        return _parse(completion, request.schema)

    def _account(self, completion: ChatCompletion) -> None:
        usage = completion.usage
        if usage is None:
            return
        TOKENS.labels(kind="prompt").inc(usage.prompt_tokens)
        TOKENS.labels(kind="completion").inc(usage.completion_tokens)
        COST.inc(
            (
                usage.prompt_tokens * self.settings.input_usd_per_mtok
                + usage.completion_tokens * self.settings.output_usd_per_mtok
            )
            / 1_000_000
        )


def _parse(completion: ChatCompletion, schema: type[T]) -> T:
    if not completion.choices:
        raise LlmUnavailable("invalid")
    choice = completion.choices[0]
    content = choice.message.content
    if choice.finish_reason != "stop" or not content:
        raise LlmUnavailable("invalid")
    try:
        return schema.model_validate_json(content)
    except ValidationError:
        raise LlmUnavailable("invalid") from None
