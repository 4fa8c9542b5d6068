"""Intake's streamed summary on the real database: tokens from the fake model, or the template's."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase
from starlette.types import ASGIApp, Receive, Scope, Send

from denialops_intake.errors import install_error_handlers
from denialops_intake.repository import IntakeRepository
from denialops_intake.summary_stream import build_summary_router, template_chunks
from denialops_shared.llm.factory import build_completer
from denialops_shared.llm.prompts import load_prompt
from denialops_shared.llm.settings import CacheSettings, LlmSettings
from denialops_shared.mongo import Document
from tests.support.fake_openai import FakeOpenAI


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


pytestmark = pytest.mark.integration

TENANT = "t-stream"
KEY = "sk-PLANTED-intake-5be01c3f9a"
SUMMARY = "Prior authorization needed. Acme Health denied the MRI. Appeal deadline: August 2, 2025 (145 days left)."


class BindTenant:
    """Stands in for the authentication middleware: every request acts for TENANT."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})["tenant_id"] = TENANT
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def repo(db: AsyncDatabase[Document], unique: str) -> IntakeRepository:
    repository = IntakeRepository(db)
    now = dt.datetime.now(dt.UTC)
    # The shape intake's own writes leave: a created case lists its runs.
    case = {"tenant_id": TENANT, "mode": "fast", "created_at": now}
    await db.cases.insert_one({"_id": f"case-{unique}", **case, "run_ids": [f"run-{unique}"]})
    await db.cases.insert_one({"_id": f"empty-{unique}", **case})
    contents = {
        "action_plan.json": {"summary": SUMMARY, "steps": [], "route": "prior_auth_needed"},
        "case_facts.json": {"payer_name": "Acme Health", "evidence": {}, "confidence": {}},
        "route.json": {"route": "prior_auth_needed"},
    }
    # A run keeps its artifacts by stage (which stage made which does not matter to the summary).
    await db.runs.insert_one(
        {
            "_id": f"run-{unique}",
            "case_id": f"case-{unique}",
            "tenant_id": TENANT,
            "stages": {"documents": {"status": "succeeded"}},
            "outputs": {"plan": [{"name": name, "content": json.dumps(c)} for name, c in contents.items()]},
            "created_at": now,
        }
    )
    return repository


def app_for(repo: IntakeRepository, llm: LlmSettings, cache: CacheSettings | None = None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    completer, _ = build_completer(llm, cache or CacheSettings(backend="none"), None)
    app.include_router(build_summary_router(repo, llm, completer))
    app.add_middleware(BindTenant)
    return app


async def events(app: FastAPI, case_id: str) -> tuple[int, list[tuple[str, Any]], str]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        response = await client.post(f"/api/v1/cases/{case_id}/stream/summary")
    parsed = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            parsed.append((fields["event"], json.loads(fields["data"])))
    return response.status_code, parsed, response.text


def text_of(parsed: list[tuple[str, Any]]) -> str:
    return "".join(data["text"] for event, data in parsed if event == "token")


def llm(fake: FakeOpenAI, **options: Any) -> LlmSettings:
    return LlmSettings(api_key=SecretStr(KEY), base_url=fake.api_base, timeout_seconds=2, max_retries=0, **options)


async def test_without_a_key_the_template_summary_streams_in_chunks(repo: IntakeRepository, unique: str) -> None:
    status, parsed, _ = await events(app_for(repo, LlmSettings(api_key=None)), f"case-{unique}")
    assert status == 200
    assert text_of(parsed) == SUMMARY
    assert sum(1 for event, _ in parsed if event == "token") == len(template_chunks(SUMMARY)) > 5
    assert parsed[-1] == ("done", {"generated_by": "template", "model": None, "prompt_version": None})


async def test_with_a_model_the_tokens_come_from_it(repo: IntakeRepository, fake: FakeOpenAI, unique: str) -> None:
    fake.reset()
    fake.configure(stream_text="Your MRI was denied because no prior authorization was on file.")

    status, parsed, _ = await events(app_for(repo, llm(fake)), f"case-{unique}")

    assert status == 200
    assert text_of(parsed).strip() == "Your MRI was denied because no prior authorization was on file."
    assert parsed[-1] == (
        "done",
        {"generated_by": "llm", "model": "gpt-4o-mini", "prompt_version": "v1"},
    )
    sent = fake.requests()[0]
    assert sent["stream"] is True
    assert "<case_data>" in sent["messages"][1]["content"]
    assert "Acme Health" in sent["messages"][1]["content"]
    assert sent["messages"][0]["content"] == load_prompt("denialops_intake.prompts", "summary", "v1").system


async def test_the_summary_goes_through_the_shared_client_and_its_cache(
    repo: IntakeRepository, fake: FakeOpenAI, unique: str
) -> None:
    fake.reset()
    fake.configure(stream_text="A cached explanation of the denial.")
    calls = metric("denialops_llm_calls_total", prompt="summary@v1", outcome="ok")
    app = app_for(repo, llm(fake), CacheSettings(backend="memory"))

    _, first, _ = await events(app, f"case-{unique}")
    _, second, _ = await events(app, f"case-{unique}")

    assert text_of(first).strip() == text_of(second).strip() == "A cached explanation of the denial."
    assert second[-1][1]["generated_by"] == "llm"
    assert fake.stats()["requests"] == 1
    assert metric("denialops_llm_calls_total", prompt="summary@v1", outcome="ok") == calls + 1


async def test_an_open_circuit_streams_the_template_without_calling_the_model(
    repo: IntakeRepository, fake: FakeOpenAI, unique: str
) -> None:
    fake.reset()
    fake.configure(fail_next=[{"status": 500}])
    app = app_for(repo, llm(fake, circuit_failure_threshold=1))
    fallbacks = metric("denialops_llm_fallbacks_total", use="summary", reason="circuit_open")

    for _ in range(2):
        _, parsed, _ = await events(app, f"case-{unique}")
        assert text_of(parsed) == SUMMARY

    assert fake.stats()["requests"] == 1
    assert metric("denialops_llm_fallbacks_total", use="summary", reason="circuit_open") == fallbacks + 1


async def test_a_failing_model_streams_the_template_and_leaks_no_key(
    repo: IntakeRepository, fake: FakeOpenAI, unique: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake.reset()
    fake.configure(fail_next=[{"status": 503}])
    with caplog.at_level(logging.DEBUG):
        status, parsed, raw = await events(app_for(repo, llm(fake)), f"case-{unique}")
    assert status == 200
    assert text_of(parsed) == SUMMARY
    assert parsed[-1][1]["generated_by"] == "template"
    assert fake.stats()["requests"] == 1
    assert "intake.summary.llm_failed" in [record.getMessage() for record in caplog.records]
    for text in (raw, *(record.getMessage() + repr(vars(record)) for record in caplog.records)):
        assert KEY not in text


async def test_a_case_without_a_plan_or_of_nobody_is_a_404(repo: IntakeRepository, unique: str) -> None:
    app = app_for(repo, LlmSettings(api_key=None))
    for case_id in (f"empty-{unique}", "no-such-case"):
        status, _, raw = await events(app, case_id)
        assert status == 404
        assert json.loads(raw)["error"]["code"] == "not_found"


async def test_a_route_outside_the_authenticated_prefix_is_refused(repo: IntakeRepository, unique: str) -> None:
    # Without the middleware's tenant the dependency refuses: the endpoint never acts for nobody.
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_summary_router(repo, LlmSettings(api_key=None), None))
    status, _, _ = await events(app, f"case-{unique}")
    assert status == 401
