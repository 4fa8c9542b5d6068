"""HTTP metrics: every response counted by route template (never an id) and status, SSE included."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable

import pytest
from fastapi import FastAPI
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from denialops_shared.runtime import RecordMetrics


def count(method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("denialops_http_requests_total", labels) or 0.0


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.add_middleware(RecordMetrics)

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    @app.get("/stream", response_class=EventSourceResponse)
    async def stream() -> AsyncIterable[ServerSentEvent]:
        for n in range(3):
            yield ServerSentEvent(event="n", data=n)

    return TestClient(app, raise_server_exceptions=False)


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    before = count("GET", "/things/{thing_id}", "200"), count("GET", "unmatched", "404")
    assert client.get(f"/things/{uuid.uuid4()}").status_code == 200
    assert client.get("/nowhere").status_code == 404
    after = count("GET", "/things/{thing_id}", "200"), count("GET", "unmatched", "404")
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_a_failing_handler_counts_as_500_and_a_stream_once(client: TestClient) -> None:
    failed, streamed = count("GET", "/broken", "500"), count("GET", "/stream", "200")
    assert client.get("/broken").status_code == 500
    response = client.get("/stream")
    assert response.status_code == 200
    assert response.text.count("event: n") == 3
    assert count("GET", "/broken", "500") - failed == 1
    assert count("GET", "/stream", "200") - streamed == 1
