"""The settings of an OpenAI-compatible endpoint and of the cache in front of it, and the SDK client.

The key is a `SecretStr` so it never prints; it leaves this process only in the `Authorization` header
the SDK sends to `base_url`.
"""

from __future__ import annotations

from typing import Literal

from openai import AsyncOpenAI
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class LlmSettings(BaseSettings):
    """`LLM_*` environment variables. No key means no LLM: services fall back to their templates."""

    model_config = SettingsConfigDict(env_prefix="LLM_", env_file=None, extra="ignore")

    # Only a label (metrics, cache key): the endpoint is `base_url`, so any compatible server works.
    provider: str = "openai"
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    temperature: float = Field(default=0.0, ge=0, le=2)
    # The prompt set in each service's `prompts/<version>/`; recorded in every artifact the model wrote.
    prompt_version: str = Field(default="v1", pattern=r"^v\d+$")
    timeout_seconds: float = Field(default=20.0, gt=0)
    # Retries of one call (429, 5xx, timeouts, connection errors), paced by the server's retry-after(-ms)
    # when it sends one, else exponential backoff with full jitter from `retry_base_seconds`; no wait is
    # longer than `retry_max_seconds` (a longer retry-after ends the call: the templates serve instead).
    max_retries: int = Field(default=2, ge=0, le=10)
    retry_base_seconds: float = Field(default=0.25, gt=0)
    retry_max_seconds: float = Field(default=8.0, gt=0)
    max_concurrency: int = Field(default=8, ge=1, le=1024)
    circuit_failure_threshold: int = Field(default=5, ge=1)
    circuit_reset_seconds: float = Field(default=30.0, gt=0)
    # Prices per million tokens, for the cost counter.
    input_usd_per_mtok: float = Field(default=0.15, ge=0)
    output_usd_per_mtok: float = Field(default=0.60, ge=0)

    @property
    def enabled(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value().strip())


class CacheSettings(BaseSettings):
    """`CACHE_*` and `REDIS_URL`: where repeated low-temperature model calls are answered from."""

    model_config = SettingsConfigDict(env_prefix="CACHE_", env_file=None, extra="ignore")

    # `memory`: an LRU per process; `mongo`: the service's database; `redis`: `REDIS_URL`, shared by replicas.
    backend: Literal["memory", "mongo", "redis", "none"] = "memory"
    ttl_seconds: float = Field(default=7 * 24 * 3600, gt=0)
    max_entries: int = Field(default=10_000, ge=1)
    # Calls above this temperature are not repeatable, so they are never cached.
    max_temperature: float = Field(default=0.2, ge=0, le=2)
    redis_url: SecretStr = Field(default=SecretStr("redis://127.0.0.1:6379/0"), validation_alias="REDIS_URL")
    # A Redis that does not answer within this is a miss (the call goes to the model), not a wait.
    redis_timeout_seconds: float = Field(default=0.5, gt=0)


def create_client(settings: LlmSettings) -> AsyncOpenAI | None:
    """The SDK client for `settings`, or None when no key is configured.

    The SDK's own retries are off: `LlmClient` retries, so the waits honour the same headers, are counted,
    and never hold a concurrency slot.
    """
    if not settings.enabled or settings.api_key is None:
        return None
    return AsyncOpenAI(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.base_url,
        timeout=settings.timeout_seconds,
        max_retries=0,
    )
