"""End to end with an LLM configured: the four services against the fake OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import _BASE, Stack, ports, running_stack
from tests.e2e.test_pipeline import check_artifacts, submit, wait_for_task
from tests.infra import ROOT, Endpoints
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.e2e

KEY = "sk-PLANTED-e2e-c0ffee5eed1234"
LETTERS = ROOT / "data" / "samples" / "letters"
SUMMARY = "Your claim was denied. The plan below lists the next steps and the deadline."


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def llm_stack(infra: Endpoints, fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    extra_env = {"LLM_API_KEY": KEY, "LLM_BASE_URL": fake.api_base, "LLM_TIMEOUT_SECONDS": "5"}
    # Ports next to the default stack's, so both may run in one session.
    with running_stack(infra, tmp_path_factory.mktemp("llm-stack"), ports(_BASE + 10), extra_env) as stack:
        yield stack


@pytest.fixture
def llm_client(llm_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=llm_stack.intake, timeout=30, headers=llm_stack.auth()) as http:
        yield http


def test_a_case_is_worded_by_the_model_cached_streamed_and_the_key_never_leaks(
    llm_stack: Stack, llm_client: httpx.Client, fake: FakeOpenAI
) -> None:
    fake.reset()
    fake.configure(
        responses={
            "Composition": {
                "summary": SUMMARY,
                "steps": [],
                "letter_paragraph": "Please review this claim again with the enclosed records.",
                "outlook": {"likelihood": "medium", "reason": "Many denials like this one are overturned."},
            }
        },
        stream_text="Your claim was denied; follow the plan's steps.",
    )
    letter = LETTERS / "004.txt"

    case_id, task_id = submit(llm_client, letter)
    assert wait_for_task(llm_client, task_id)["status"] == "succeeded"
    contents = check_artifacts(llm_client, case_id)
    plan = json.loads(contents["action_plan.json"])
    assert (plan["generated_by"], plan["model"], plan["prompt_version"]) == ("llm", "gpt-4o-mini", "v1")
    assert plan["summary"] == SUMMARY
    calls = fake.stats()["requests"]
    assert calls >= 1

    # The same letter again: every answer comes from the llm-worker's cache.
    second_case, second_task = submit(llm_client, letter)
    assert wait_for_task(llm_client, second_task)["status"] == "succeeded"
    assert json.loads(check_artifacts(llm_client, second_case)["action_plan.json"])["generated_by"] == "llm"
    assert fake.stats()["requests"] == calls

    streamed = llm_client.post(f"/api/v1/cases/{case_id}/stream/summary")
    assert streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    tokens = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert "".join(t.get("text", "") for t in tokens).strip() == "Your claim was denied; follow the plan's steps."
    assert tokens[-1]["generated_by"] == "llm"

    metrics = httpx.get(f"{llm_stack.urls['llm-worker']}/metrics", timeout=10).text
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line[:1] != "#"
    }
    assert sum(v for k, v in samples.items() if k.startswith("denialops_llm_calls_total") and 'outcome="ok"' in k) >= 1
    assert samples['denialops_llm_cache_hits_total{backend="memory"}'] >= 1
    config = httpx.get(f"{llm_stack.urls['llm-worker']}/health/config", timeout=10).text
    logs = "".join(p.read_text(encoding="utf-8", errors="replace") for p in llm_stack.log_dir.glob("*"))
    assert logs, "no logs to scan"
    for text in (logs, metrics, config, streamed.text, *contents.values()):
        assert KEY not in text
