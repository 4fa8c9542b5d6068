"""Load shedding over HTTP: past INTAKE_MAX_RUNS_IN_FLIGHT a request that would start a run gets 503 with
Retry-After and stores nothing; a finished, cancelled or failed-to-store run makes room again."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY
from pymongo.errors import ConnectionFailure

from denialops_intake.admission import RunAdmission
from denialops_shared.contracts.events import PIPELINE
from tests.integration.intake_api import LETTER, Api, assert_error, deliver

pytestmark = pytest.mark.integration


def refused() -> float:
    return REGISTRY.get_sample_value("denialops_overload_refusals_total", {"limit": "runs_in_flight"}) or 0.0


async def new_case(api: Api) -> str:
    created = await api.client.post("/api/v1/cases", json={"mode": "fast"}, headers=api.auth("acme"))
    assert created.status_code == 201, created.text
    return str(created.json()["case_id"])


async def upload(api: Api, case_id: str) -> httpx.Response:
    return await api.client.post(
        f"/api/v1/cases/{case_id}/documents",
        files={"file": ("letter.txt", LETTER, "text/plain")},
        data={"doc_type": "denial_letter"},
        headers=api.auth("acme"),
    )


async def test_runs_past_the_bound_are_refused_with_retry_after_and_nothing_stored(api: Api) -> None:
    api.intake.admission = RunAdmission(limit=2, forget_after_seconds=300)
    first_case, first_task = await api.new_task()
    _, second_task = await api.new_task()
    refused_before = refused()

    waiting_case = await new_case(api)
    response = await upload(api, waiting_case)
    assert_error(response, 503, "overloaded")
    assert response.headers["Retry-After"] == "1"
    case = (await api.client.get(f"/api/v1/cases/{waiting_case}", headers=api.auth("acme"))).json()
    assert (case["documents"], case["tasks"]) == ([], []), "a refused upload stores nothing"
    explicit = await api.client.post(f"/api/v1/cases/{first_case}/run/async", headers=api.auth("acme"))
    assert_error(explicit, 503, "overloaded")
    assert refused() == refused_before + 2

    # The first run finishes: the upload, made again, is taken.
    await deliver(api.intake, first_case, first_task, *PIPELINE)
    assert (await api.task(first_task))["status"] == "succeeded"
    retried = await upload(api, waiting_case)
    assert retried.status_code == 201, retried.text
    assert_error(await upload(api, await new_case(api)), 503, "overloaded")

    # A cancelled run makes room as well.
    assert (await api.cancel(second_task)).status_code == 202
    assert (await upload(api, await new_case(api))).status_code == 201
    assert api.intake.admission.in_flight == 2


async def test_a_run_whose_writes_failed_gives_its_place_back(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.intake.admission = RunAdmission(limit=1, forget_after_seconds=300)
    case_id = await new_case(api)

    async def database_down(*_: object, **__: object) -> bool:
        raise ConnectionFailure("down")

    with monkeypatch.context() as patch:
        patch.setattr(api.intake.repo, "insert_with_events", database_down)
        failed = await upload(api, case_id)
    assert_error(failed, 503, "unavailable")
    assert api.intake.admission.in_flight == 0
    assert (await upload(api, case_id)).status_code == 201
