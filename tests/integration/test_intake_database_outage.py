"""A database outage during an upload: 503 unavailable with Retry-After, nothing stored, and the same
upload succeeds once the database is back. The database is reached through a proxy the test closes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient

from denialops_shared.mongo import Document
from tests.infra import Endpoints
from tests.integration.intake_api import LETTER, Api, api_for, assert_error
from tests.integration.support import make_intake
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(infra: Endpoints) -> Iterator[TcpProxy]:
    host, port = infra.mongodb_uri.removeprefix("mongodb://").split("/")[0].rsplit(":", 1)
    through = TcpProxy(host, int(port))
    through.open()
    yield through
    through.shutdown()


@pytest.fixture
async def api(proxy: TcpProxy, broker: KafkaBroker) -> AsyncIterator[Api]:
    # A short server selection: the request waits this long for the database before it is refused.
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true", serverSelectionTimeoutMS=1000, tz_aware=True
    )
    db = client[f"it_outage_{uuid.uuid4().hex[:8]}"]
    try:
        async with api_for(make_intake(db, broker)) as served:
            yield served
    finally:
        await client.drop_database(db.name)
        await client.close()


def failures() -> float:
    return REGISTRY.get_sample_value("denialops_intake_dependency_failures_total", {"dependency": "database"}) or 0.0


async def test_an_upload_while_the_database_is_down_is_503_with_retry_after(api: Api, proxy: TcpProxy) -> None:
    created = await api.client.post("/api/v1/cases", json={"mode": "fast"}, headers=api.auth("acme"))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    before = failures()

    async def upload() -> httpx.Response:
        return await api.client.post(
            f"/api/v1/cases/{case_id}/documents",
            files={"file": ("letter.txt", LETTER, "text/plain")},
            data={"doc_type": "denial_letter"},
            headers=api.auth("acme"),
        )

    proxy.close()
    refused = await upload()
    assert_error(refused, 503, "unavailable")
    assert int(refused.headers["Retry-After"]) > 0
    assert failures() == before + 1

    proxy.open()
    accepted = await upload()
    assert accepted.status_code == 201, accepted.text
    case = await api.client.get(f"/api/v1/cases/{case_id}", headers=api.auth("acme"))
    assert len(case.json()["documents"]) == 1  # the refused upload stored nothing
