"""An in-memory model for cache tests: it answers every call with the call's number and counts the calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

from pydantic import BaseModel

from denialops_shared.llm.client import LlmRequest, TextRequest

T = TypeVar("T", bound=BaseModel)


class CountingCompleter:
    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, request: LlmRequest[T]) -> T:
        self.calls += 1
        return request.schema.model_validate({"text": f"answer {self.calls}"})

    async def stream(self, request: TextRequest) -> AsyncIterator[str]:
        self.calls += 1
        for word in ("streamed ", "answer ", str(self.calls)):
            yield word
