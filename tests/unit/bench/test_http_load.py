"""The HTTP load tool (bench/loadgen, Go) against a small fake of intake's three endpoints on loopback:
the case flow, its outcomes and reasons, closed and open loops."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.http_load import GoLoad
from bench.measure import Sink

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="the load tool is built with Go")


class FakeIntake(BaseHTTPRequestHandler):
    """Case 1, 2, ...: every third case's run fails; `create_status` answers the creates."""

    create_status = 201
    lock = threading.Lock()
    cases = 0
    uploads: list[tuple[str, bytes]] = []  # noqa: RUF012 - the fake's record, reset per test
    tokens: set[str] = set()  # noqa: RUF012

    def log_message(self, format: str, *args: object) -> None:
        return

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).tokens.add(self.headers.get("Authorization", ""))
        if self.path == "/api/v1/cases":
            if self.create_status != 201:
                self._answer(self.create_status, b'{"code": "overloaded"}')
                return
            with self.lock:
                type(self).cases += 1
                case_id = f"case-{self.cases}"
            self._answer(201, json.dumps({"case_id": case_id}).encode())
        else:
            type(self).uploads.append((self.path, body))
            self._answer(201, b"{}")

    def do_GET(self) -> None:
        number = int(self.path.split("/")[4].removeprefix("case-"))
        status = "failed" if number % 3 == 0 else "succeeded"
        events = (
            'event: task\ndata: {"status": "running"}\n\n'
            f'event: task\ndata: {{"status": "{status}"}}\n\n'
            f'event: end\ndata: {{"case_id": "case-{number}"}}\n\n'
        )
        self._answer(200, events.encode(), "text/event-stream")


@pytest.fixture
def intake() -> Iterator[str]:
    FakeIntake.create_status, FakeIntake.cases, FakeIntake.uploads, FakeIntake.tokens = 201, 0, [], set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeIntake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_a_closed_loop_runs_whole_cases_until_stopped(intake: str) -> None:
    async with GoLoad(intake, "secret-token", case_timeout=10) as load:
        sink = Sink(went_round_at=2)
        await load.start(2, sink)
        await sink.went_round.wait()
        await load.stop()
        ended = len(sink.samples)
        assert ended >= 2
        assert ended == FakeIntake.cases  # every case that started ended, and was reported once
        outcomes = {(s.outcome, s.reason) for s in sink.samples}
        assert ("ok", "") in outcomes
        if ended >= 3:
            assert ("failed", "run failed") in outcomes
        assert all(0 <= s.seconds < 10 for s in sink.samples)
    assert FakeIntake.tokens == {"Bearer secret-token"}
    assert len(FakeIntake.uploads) == ended
    path, body = min(FakeIntake.uploads, key=lambda upload: len(upload[0]))
    assert path.startswith("/api/v1/cases/case-")
    assert path.endswith("/documents")
    assert b'name="doc_type"' in body
    assert b"denial_letter" in body
    assert b'name="file"; filename="0' in body


async def test_an_open_loop_reports_every_arrival_and_why_one_failed(intake: str) -> None:
    FakeIntake.create_status = 503
    async with GoLoad(intake, "t", case_timeout=10) as load:
        samples = await load.open(rate=50, count=5)
    assert len(samples) == 5
    assert {(s.outcome, s.reason) for s in samples} == {("failed", "create: http 503")}
    assert max(s.started for s in samples) - min(s.started for s in samples) >= 0.07  # 4 gaps of 20 ms


async def test_the_tool_refuses_a_non_loopback_address() -> None:
    load = GoLoad("http://192.0.2.1:80", "t", case_timeout=1)
    async with load:
        with pytest.raises(RuntimeError, match="exited"):
            await load.open(rate=1, count=1)
