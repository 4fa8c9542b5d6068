"""Intake's HTTP API in process (ASGI) over the real database and broker, behind its real authentication.

The pipeline is not running: tests deliver stage results to intake themselves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from denialops_intake.api import build_router
from denialops_intake.auth import Authenticator
from denialops_intake.errors import install_error_handlers
from denialops_intake.handlers import Intake
from denialops_intake.main import install_security
from denialops_intake.remittances import RemittanceIntake
from denialops_intake.settings import IntakeSettings
from denialops_intake.work import CaseWork
from denialops_intake.work_api import build_work_router
from denialops_shared.contracts.events import Stage, StageCompleted, StageStatus, make_artifact
from denialops_shared.contracts.topics import Topic
from tests.infra import ROOT
from tests.integration.support import received

LETTER = (ROOT / "data" / "samples" / "letters" / "004.txt").read_bytes()
# One artifact per stage is enough to see which stages' output the run shows.
STAGE_ARTIFACT = {
    Stage.EXTRACT: "case_facts.json",
    Stage.ROUTE: "route.json",
    Stage.PLAN: "action_plan.json",
    Stage.DOCUMENTS: "call_script.md",
}


@dataclass
class Api:
    intake: Intake
    client: httpx.AsyncClient
    keys: dict[str, str]

    def auth(self, tenant: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[tenant]}"}

    async def new_task(self, tenant: str = "acme") -> tuple[str, str]:
        """A case with a denial letter: its auto-run task is queued (the pipeline is not running here)."""
        created = await self.client.post("/api/v1/cases", json={"mode": "fast"}, headers=self.auth(tenant))
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        upload = await self.client.post(
            f"/api/v1/cases/{case_id}/documents",
            files={"file": ("letter.txt", LETTER, "text/plain")},
            data={"doc_type": "denial_letter"},
            headers=self.auth(tenant),
        )
        assert upload.status_code == 201, upload.text
        return case_id, upload.json()["task_id"]

    async def cancel(self, task_id: str, tenant: str = "acme") -> httpx.Response:
        return await self.client.post(f"/api/v1/tasks/{task_id}/cancel", headers=self.auth(tenant))

    async def task(self, task_id: str, tenant: str = "acme") -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/tasks/{task_id}", headers=self.auth(tenant))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def artifact_names(self, case_id: str, task_id: str) -> set[str]:
        listing = await self.client.get(
            f"/api/v1/cases/{case_id}/artifacts", params={"task_id": task_id}, headers=self.auth("acme")
        )
        assert listing.status_code == 200, listing.text
        return {item["name"] for item in listing.json()["items"]}


def stage(case_id: str, run_id: str, name: Stage, status: StageStatus = StageStatus.SUCCEEDED) -> StageCompleted:
    at = dt.datetime.now(dt.UTC)
    artifacts = [make_artifact(STAGE_ARTIFACT[name], "{}")] if status is StageStatus.SUCCEEDED else []
    return StageCompleted(
        tenant_id="acme",
        case_id=case_id,
        run_id=run_id,
        stage=name,
        status=status,
        started_at=at,
        finished_at=at,
        artifacts=artifacts,
    )


async def deliver(intake: Intake, case_id: str, run_id: str, *stages: Stage) -> None:
    for name in stages:
        await intake.on_stage_completed(received(Topic.STAGE_COMPLETED, stage(case_id, run_id, name)))


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"]


async def serve(intake: Intake, settings: IntakeSettings | None = None) -> tuple[FastAPI, dict[str, str]]:
    settings = settings or IntakeSettings(INTAKE_RATE_LIMIT="100000/second")
    app = FastAPI()
    install_error_handlers(app)
    work = CaseWork(intake.repo, intake.today)
    app.include_router(build_router(intake, settings, work, RemittanceIntake(intake, work)))
    app.include_router(build_work_router(intake, work))
    install_security(app, Authenticator(intake.tenants), settings)
    keys = {tenant: (await intake.tenants.create_key(tenant, "it"))[1] for tenant in ("acme", "globex")}
    return app, keys


@contextlib.asynccontextmanager
async def api_for(intake: Intake, settings: IntakeSettings | None = None) -> AsyncIterator[Api]:
    """The API over `intake`, served in process, with a key for each of the tenants acme and globex."""
    app, keys = await serve(intake, settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        yield Api(intake, client, keys)
