"""`POST /api/v1/cases/{id}/stream/summary`: the case's summary as Server-Sent Events.

With an LLM configured the tokens come from the model (the shared client: its breaker, bound, retries,
cache and metrics), asked with the versioned `summary` prompt to explain the case's finished plan;
without one (or when the model fails before its first token) the plan's own template summary is
streamed in word chunks. A model failing mid-stream sends `reset`, then the template summary, so
a client always ends with one whole summary. The last event, `done`, says what wrote it.

Events: `token` `{"text"}` ..., optionally `reset`, then `done` `{"generated_by", "model",
"prompt_version"}`. The case data sent to the model is delimited as data: it holds letter text.
"""

# No `from __future__ import annotations`: FastAPI must see the local dependency in a real annotation.
import json
import logging
import re
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from denialops_intake.api import Tenant, current_tenant
from denialops_intake.errors import ApiError
from denialops_intake.repository import IntakeRepository
from denialops_shared.llm.client import Completer, LlmUnavailable, TextRequest
from denialops_shared.llm.metrics import FALLBACKS
from denialops_shared.llm.prompts import case_data, load_prompt
from denialops_shared.llm.settings import LlmSettings

log = logging.getLogger(__name__)

PROMPTS = "denialops_intake.prompts"
SOURCE_ARTIFACTS = ("action_plan.json", "case_facts.json", "route.json")


@dataclass(frozen=True, slots=True)
class SummarySource:
    plan: dict[str, Any]
    facts: dict[str, Any]
    route: dict[str, Any]


def template_chunks(summary: str) -> list[str]:
    """The summary in word-sized chunks, each keeping the space after it (joined, they are the summary)."""
    return re.findall(r"\s*\S+\s*", summary) or [summary]


def summary_request(llm: LlmSettings, source: SummarySource) -> TextRequest:
    return TextRequest(
        prompt=load_prompt(PROMPTS, "summary", llm.prompt_version),
        user=case_data(source.facts, source.route.get("route"), source.plan),
        temperature=llm.temperature,
    )


def _token(text: str) -> ServerSentEvent:
    return ServerSentEvent(event="token", data={"text": text})


def _done(generated_by: str, llm: LlmSettings | None = None) -> ServerSentEvent:
    return ServerSentEvent(
        event="done",
        data={
            "generated_by": generated_by,
            "model": llm.model if llm else None,
            "prompt_version": llm.prompt_version if llm else None,
        },
    )


def build_summary_router(repo: IntakeRepository, llm: LlmSettings, completer: Completer | None) -> APIRouter:
    """`completer`: the model path (None without a key: the template streams)."""
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(current_tenant)])

    async def summary_source(case_id: str, tenant_id: Tenant) -> SummarySource:
        """The newest run's plan with its facts and route (a succeeded run first); 404 before there is one."""
        if await repo.get_case(tenant_id, case_id) is None:
            raise ApiError(404, "not_found", "no such case")
        runs = await repo.case_runs(tenant_id, case_id)
        for run in sorted(runs, key=lambda r: r["status"] != "succeeded"):  # stable: newest first within each
            artifacts = {a["name"]: a for a in await repo.run_artifacts(tenant_id, str(run["_id"]), with_content=True)}
            found = [artifacts.get(name) for name in SOURCE_ARTIFACTS]
            if all(found):
                plan, facts, route = (json.loads(artifact["content"]) for artifact in found if artifact)
                return SummarySource(plan=plan, facts=facts, route=route)
        raise ApiError(404, "not_found", "the case has no action plan yet")

    @router.post("/cases/{case_id}/stream/summary", response_class=EventSourceResponse, tags=["artifacts"])
    async def stream_summary(
        case_id: str, source: Annotated[SummarySource, Depends(summary_source)]
    ) -> AsyncIterable[ServerSentEvent]:
        template = template_chunks(str(source.plan.get("summary", "")))
        if completer is not None:
            sent = 0
            try:
                async for text in completer.stream(summary_request(llm, source)):
                    sent += 1
                    yield _token(text)
                yield _done("llm", llm)
                log.info("intake.summary.streamed", extra={"case_id": case_id, "generated_by": "llm"})
                return
            except LlmUnavailable as exc:
                FALLBACKS.labels(use="summary", reason=exc.reason).inc()
                log.warning(
                    "intake.summary.llm_failed", extra={"case_id": case_id, "reason": exc.reason, "tokens_sent": sent}
                )
                if sent:
                    yield ServerSentEvent(event="reset", data={"reason": "llm_unavailable"})
        for text in template:
            yield _token(text)
        yield _done("template")
        log.info("intake.summary.streamed", extra={"case_id": case_id, "generated_by": "template"})

    return router
