"""llm-worker settings (environment variables)."""

import datetime as dt

from pydantic import AliasChoices, Field

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
