"""llm-worker settings (environment variables)."""

import datetime as dt

from pydantic import Field

from denialops_shared.llm.settings import CacheSettings, LlmSettings
from denialops_shared.settings import ServiceSettings


class LlmWorkerSettings(ServiceSettings):
    service_name: str = "llm-worker"
    http_port: int = Field(default=8002, validation_alias="LLM_WORKER_PORT")
    mongodb_database: str = Field(default="denialops_llm_worker", validation_alias="LLM_WORKER_MONGODB_DATABASE")
    # Pins "today" for deadline arithmetic (tests, replays); unset means the real date in UTC.
    clock_today: dt.date | None = None

    # The model endpoint (`LLM_*`); without `LLM_API_KEY` every artifact comes from the templates.
    llm: LlmSettings = Field(default_factory=LlmSettings)
    # A fact the rules found with less confidence than this (or not at all) is asked of the model.
    llm_refine_below_confidence: float = Field(default=0.7, ge=0, le=1)
    # Where repeated calls are answered from (`CACHE_*`, `REDIS_URL`).
    cache: CacheSettings = Field(default_factory=CacheSettings)
