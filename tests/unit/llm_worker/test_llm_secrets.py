"""The API key never leaves in a log line, an artifact, a metric or an error."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from prometheus_client import generate_latest
from pydantic import SecretStr

from denialops_llm_worker.main import build_assistant
from denialops_llm_worker.pipeline import GenerationInput, run_stages
from denialops_llm_worker.settings import LlmWorkerSettings
from denialops_shared.config_view import configuration_report
from denialops_shared.contracts.artifacts import CaseFacts, Route, RouteDecision
from denialops_shared.contracts.events import Page
from denialops_shared.llm.settings import CacheSettings, LlmSettings
from tests.support.fake_openai import FakeOpenAI

KEY = "sk-PLANTED-4f1c9e77b2d8a6035e"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def test_the_key_is_masked_in_the_settings_and_their_report() -> None:
    settings = LlmWorkerSettings(llm=LlmSettings(api_key=SecretStr(KEY)))
    assert KEY not in repr(settings)
    assert KEY not in str(settings)
    assert KEY not in str(configuration_report("llm-worker", "0", settings))
    assert KEY not in settings.model_dump_json()


async def test_the_key_appears_in_no_log_artifact_metric_or_error(
    fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    fake.reset()
    settings = LlmWorkerSettings(
        llm=LlmSettings(api_key=SecretStr(KEY), base_url=fake.api_base, timeout_seconds=0.3, max_retries=1),
        cache=CacheSettings(backend="none"),
    )
    assistant, _ = build_assistant(settings, None)
    assert assistant is not None
    facts = CaseFacts(payer_name="Acme", claim_number="C1")
    decision = RouteDecision(route=Route.ADMIN_DENIAL, confidence=0.9, reasoning="r")
    letter = [Page(number=1, text="Acme denied claim C1 for Jane Roe.")]
    artifacts: list[str] = []

    with caplog.at_level(logging.DEBUG):
        for script, latency in (([], 0), ([{"status": 500}] * 4, 0), ([{"status": 401}] * 2, 0), ([], 500)):
            fake.configure(fail_next=script, latency_ms=latency)
            refined, wording = await assistant.prepare(facts, decision, dt.date(2025, 1, 1), letter)
            run = GenerationInput("t", "c", "r", refined, decision, dt.date(2025, 1, 1), wording)
            artifacts += [stage.model_dump_json() for stage in run_stages(run)]

    assert fake.stats()["requests"] >= 6  # the calls really went out, with the key in their header
    lines = [record.getMessage() + repr(vars(record)) for record in caplog.records]
    assert lines, "nothing was logged: the scan would prove nothing"
    for text in (*lines, *artifacts, generate_latest().decode()):
        assert KEY not in text
        assert KEY[10:] not in text  # nor a recognisable piece of it
