"""LLM plumbing every service shares: the settings of an OpenAI-compatible endpoint and its client.

No prompts and no domain here: services own what they ask. The key is a `SecretStr` so it never
prints; it leaves this process only in the `Authorization` header the SDK sends to `base_url`.
"""

from __future__ import annotations

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
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    max_concurrency: int = Field(default=8, ge=1, le=1024)
    circuit_failure_threshold: int = Field(default=5, ge=1)
    circuit_reset_seconds: float = Field(default=30.0, gt=0)
    # Prices per million tokens, for the cost counter.
    input_usd_per_mtok: float = Field(default=0.15, ge=0)
    output_usd_per_mtok: float = Field(default=0.60, ge=0)

    @property
    def enabled(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value().strip())


def create_client(settings: LlmSettings, *, max_retries: int = 0) -> AsyncOpenAI | None:
    """The SDK client for `settings`, or None when no key is configured.

    Callers that count and pace their own retries keep the SDK's at 0 (the default).
    """
    if not settings.enabled or settings.api_key is None:
        return None
    return AsyncOpenAI(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.base_url,
        timeout=settings.timeout_seconds,
        max_retries=max_retries,
    )
