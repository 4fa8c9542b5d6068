"""The model client: structured calls and streamed text, bounded in concurrency, retried, behind a circuit breaker.

Every failure ends as `LlmUnavailable` with a reason from a fixed vocabulary; callers fall back to
their templates. Errors are never logged or raised with the SDK's message, which may quote the
provider's response: only their class and our reason travel.

Retries live here and only here (the SDK's are off, see `create_client`): the server's `x-should-retry`
decides whether a failed attempt is retried, its `retry-after-ms` or `retry-after` how long to wait,
and a concurrency slot is held only while a request is on the wire, never during a wait.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import httpx
import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ValidationError

from denialops_shared.llm.circuit import CircuitBreaker, CircuitOpen
from denialops_shared.llm.metrics import CALL_SECONDS, CALLS, COST, IN_FLIGHT, RETRIES, TOKENS
from denialops_shared.llm.prompts import Prompt
from denialops_shared.llm.settings import LlmSettings

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)


class LlmUnavailable(Exception):
    """The model gave no usable answer; `reason` is one of the `denialops_llm_calls_total` outcomes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TextRequest:
    """One call answered in free text (streamed): the prompt's system message and the user message."""

    prompt: Prompt
    user: str
    temperature: float

    @property
    def messages(self) -> list[ChatCompletionMessageParam]:
        return [{"role": "system", "content": self.prompt.system}, {"role": "user", "content": self.user}]


@dataclass(frozen=True, slots=True)
class LlmRequest(TextRequest, Generic[T]):
    """One structured call: the answer must be an instance of `schema`."""

    schema: type[T]


class Completer(Protocol):
    async def complete(self, request: LlmRequest[T]) -> T: ...

    def stream(self, request: TextRequest) -> AsyncIterator[str]: ...


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
    """A failed attempt that may be tried again, after `delay` seconds when the server said so."""

    def __init__(self, reason: str, delay: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def retry_after(headers: Mapping[str, str], now: Callable[[], dt.datetime] = _utc_now) -> float | None:
    """The wait the server asked for: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now()).total_seconds())


def _status_reason(status: int) -> tuple[str, bool]:
    """Our reason for a status, and whether it is retried when the server does not say (as the SDK does)."""
    if status == 429:
        return "rate_limited", True
    if status >= 500:
        return "server_error", True
    if status == 408:
        return "timeout", True
    return "rejected", False


def _classify(exc: Exception) -> LlmUnavailable | _Retryable:
    if isinstance(exc, openai.APIStatusError):
        reason, retried = _status_reason(exc.status_code)
        # The server's word wins both ways (the SDK's rule): `x-should-retry: false` stops a retry of a 503.
        should_retry = exc.response.headers.get("x-should-retry")
        if should_retry in ("true", "false"):
            retried = should_retry == "true"
        return _Retryable(reason, retry_after(exc.response.headers)) if retried else LlmUnavailable(reason)
    if isinstance(exc, openai.APITimeoutError):
        return _Retryable("timeout", None)
    if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
        return _Retryable("connection", None)
    return LlmUnavailable("invalid")


class LlmClient:
    """`Completer` over an `AsyncOpenAI` client whose own retries are off."""

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
        with self._call(request.prompt.id):
            attempt = 0
            while True:
                try:
                    return await self._attempt(request)
                except _Retryable as exc:
                    await self._before_retry(exc, attempt)
                    attempt += 1

    async def stream(self, request: TextRequest) -> AsyncIterator[str]:
        """The answer's text as it arrives. Attempts are retried until the first token; a failure after it
        raises `LlmUnavailable` (the caller has shown part of an answer and must say so)."""
        with self._call(request.prompt.id):
            attempt = 0
            while True:
                sent = False
                try:
                    async for text in self._attempt_stream(request):
                        sent = True
                        yield text
                    return
                except _Retryable as exc:
                    if sent:
                        raise LlmUnavailable(exc.reason) from None
                    await self._before_retry(exc, attempt)
                    attempt += 1

    @contextmanager
    def _call(self, prompt: str) -> Iterator[None]:
        """One call, every way out of it counted and settled in the breaker."""
        try:
            with self._breaker.guard(LlmUnavailable):
                started = time.perf_counter()
                try:
                    yield
                finally:
                    CALL_SECONDS.labels(prompt=prompt).observe(time.perf_counter() - started)
        except CircuitOpen:
            CALLS.labels(prompt=prompt, outcome="circuit_open").inc()
            raise LlmUnavailable("circuit_open") from None
        except LlmUnavailable as exc:
            CALLS.labels(prompt=prompt, outcome=exc.reason).inc()
            log.warning("llm.call_failed", extra={"prompt": prompt, "reason": exc.reason})
            raise
        except (asyncio.CancelledError, GeneratorExit):
            # Cancelled (a batch gave up on its case), or the reader of a stream went away.
            CALLS.labels(prompt=prompt, outcome="cancelled").inc()
            raise
        CALLS.labels(prompt=prompt, outcome="ok").inc()

    async def _before_retry(self, exc: _Retryable, attempt: int) -> None:
        """Wait before attempt `attempt + 1`, or end the call when no retry is left or the wait is too long."""
        if attempt >= self.settings.max_retries:
            raise LlmUnavailable(exc.reason)
        if exc.delay is not None:
            if exc.delay > self.settings.retry_max_seconds:
                raise LlmUnavailable(exc.reason)  # Asked to wait longer than a case may: the templates serve.
            # Never sooner than asked; a little later, so clients told the same time do not return at once.
            delay = exc.delay + self._jitter() * self.settings.retry_base_seconds
        else:
            ceiling = min(self.settings.retry_base_seconds * 2.0**attempt, self.settings.retry_max_seconds)
            delay = self._jitter() * ceiling
        RETRIES.labels(reason=exc.reason).inc()
        await self._sleep(delay)

    async def _attempt(self, request: LlmRequest[T]) -> T:
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
                raise _classify(exc) from None
            finally:
                IN_FLIGHT.dec()
        if completion.usage is not None:
            self._account(completion.usage.prompt_tokens, completion.usage.completion_tokens)
        return _parse(completion, request.schema)

    async def _attempt_stream(self, request: TextRequest) -> AsyncIterator[str]:
        async with self._slots:
            IN_FLIGHT.inc()
            try:
                stream = await self._client.chat.completions.create(
                    model=self.settings.model,
                    messages=request.messages,
                    temperature=request.temperature,
                    stream=True,
                    stream_options={"include_usage": True},
                )
                async for chunk in stream:
                    if chunk.usage is not None:
                        self._account(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
            except (openai.OpenAIError, httpx.TransportError) as exc:
                raise _classify(exc) from None
            finally:
                IN_FLIGHT.dec()

    def _account(self, prompt_tokens: int, completion_tokens: int) -> None:
        TOKENS.labels(kind="prompt").inc(prompt_tokens)
        TOKENS.labels(kind="completion").inc(completion_tokens)
        settings = self.settings
        COST.inc((prompt_tokens * settings.input_usd_per_mtok + completion_tokens * settings.output_usd_per_mtok) / 1e6)


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
