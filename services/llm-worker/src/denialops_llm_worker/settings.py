"""llm-worker settings (environment variables)."""

import datetime as dt
from typing import Literal

from pydantic import AliasChoices, Field

from denialops_shared.llm import LlmSettings
from denialops_shared.settings import ServiceSettings


class LlmWorkerSettings(ServiceSettings):
    service_name: str = "llm-worker"
    http_port: int = Field(default=8002, validation_alias=AliasChoices("LLM_WORKER_PORT", "HTTP_PORT"))
    mongodb_database: str = Field(
        default="denialops_llm_worker",
        validation_alias=AliasChoices("LLM_WORKER_MONGODB_DATABASE", "MONGODB_DATABASE"),
    )
    # Pins "today" for deadline arithmetic (tests, replays); unset means the real date in UTC.
    clock_today: dt.date | None = None

    # The model endpoint (`LLM_*`); without `LLM_API_KEY` every artifact comes from the templates.
    llm: LlmSettings = Field(default_factory=LlmSettings)
    # The prompt set in `llm/prompts/<version>/`; recorded in every artifact the model wrote.
    llm_prompt_version: str = Field(default="v1", pattern=r"^v\d+$")
    # A fact the rules found with less confidence than this (or not at all) is asked of the model.
    llm_refine_below_confidence: float = Field(default=0.7, ge=0, le=1)
    # `redis` is in the spec but not built yet.
    cache_backend: Literal["memory", "mongo", "none"] = "memory"
    cache_ttl_seconds: float = Field(default=7 * 24 * 3600, gt=0)
    cache_max_entries: int = Field(default=10_000, ge=1)
    # Calls above this temperature are not repeatable, so they are never cached.
    cache_max_temperature: float = Field(default=0.2, ge=0, le=2)
