"""Hostile input against the running intake: credentials, other tenants, oversized and malformed bodies.

Every case asserts the status, the one error shape, and that nothing internal leaks into the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from denialops_shared.contracts.events import auto_run_id
from denialops_shared.contracts.topics import Topic
from tests.e2e.conftest import PORTS, Stack
from tests.e2e.test_pipeline import LETTERS, sample_files, upstream_events, wait_for_task
from tests.kafka_helpers import collect, headers_of, produce
from tests.support.secrets import tampered

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
# What a response must never contain: internals of the service or the libraries under it.
LEAKS = ("Traceback", 'File "', "/work/", "site-packages", "mongodb://", "pymongo", "pydantic", "starlette")


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "request_id"}
    assert error["code"] == code, error
    assert error["request_id"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert not any(leak in response.text for leak in LEAKS), response.text
    return error


@pytest.fixture(scope="module")
def finished_case(stack: Stack) -> dict[str, str]:
    """A case of the stack's tenant with a letter and a finished run (so it has artifacts)."""
    with httpx.Client(base_url=stack.intake, headers=stack.auth(), timeout=30) as http:
        case_id = http.post("/api/v1/cases", json={"mode": "fast"}).json()["case_id"]
        letter = (LETTERS / "004.txt").read_bytes()
        upload = http.post(f"/api/v1/cases/{case_id}/documents", files={"file": ("l.txt", letter, "text/plain")})
        assert upload.status_code == 201, upload.text
        task = wait_for_task(http, upload.json()["task_id"])
        assert task["status"] == "succeeded"
        return {"case_id": case_id, "task_id": task["task_id"], "document_id": upload.json()["document_id"]}


def every_route(ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    case, task = ids["case_id"], ids["task_id"]
    letter = {"files": {"file": ("l.txt", b"letter", "text/plain")}}
    return [
        ("POST", "/api/v1/cases", {"json": {}}),
        ("GET", "/api/v1/cases", {}),
        ("GET", f"/api/v1/cases/{case}", {}),
        ("POST", f"/api/v1/cases/{case}/documents", letter),
        ("POST", f"/api/v1/cases/{case}/run", {}),
        ("POST", f"/api/v1/cases/{case}/run/async", {}),
        ("GET", "/api/v1/tasks", {}),
        ("GET", f"/api/v1/tasks/{task}", {}),
        ("POST", f"/api/v1/tasks/{task}/cancel", {}),
        ("GET", f"/api/v1/cases/{case}/artifacts", {}),
        ("GET", f"/api/v1/cases/{case}/artifacts/route.json", {}),
        ("GET", f"/api/v1/cases/{case}/events", {}),
    ]


# ---- credentials ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"X-API-Key": "dop_0000000000000000_" + "A" * 43},
        {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJ0ZW5hbnRfaWQiOiJ4In0."},
    ],
    ids=["missing", "garbage", "basic", "empty-bearer", "unknown-key", "jwt-alg-none"],
)
def test_every_route_refuses_requests_without_a_valid_key(
    stack: Stack, finished_case: dict[str, str], headers: dict[str, str]
) -> None:
    with httpx.Client(base_url=stack.intake, headers=headers, timeout=30) as http:
        for method, path, kwargs in every_route(finished_case):
            response = http.request(method, path, **kwargs)
            assert_error(response, 401, "unauthorized")
            assert response.headers["www-authenticate"].startswith("Bearer")
    # Health and metrics stay open for probes and scrapers.
    assert httpx.get(f"{stack.intake}/health/ready").status_code == 200


def test_a_key_works_as_bearer_and_as_x_api_key_and_stops_working_once_revoked(stack: Stack) -> None:
    key = stack.new_key(stack.tenant)
    key_id = key.split("_")[1]
    assert httpx.get(f"{stack.intake}/api/v1/cases", headers={"X-API-Key": key}).status_code == 200
    assert httpx.get(f"{stack.intake}/api/v1/cases", headers=stack.auth(key)).status_code == 200
    listing = stack.keys("list", "--tenant", stack.tenant)
    assert key_id in listing
    assert key not in listing, "the key itself is never shown again"
    stack.keys("revoke", key_id)
    # Revoked by the CLI (another process): intake re-reads a key within INTAKE_API_KEY_CACHE_SECONDS (5).
    deadline = time.monotonic() + 5 + 3
    while httpx.get(f"{stack.intake}/api/v1/cases", headers=stack.auth(key)).status_code == 200:
        assert time.monotonic() < deadline, "a revoked key kept working beyond the key cache's lifetime"
        time.sleep(0.2)
    assert_error(httpx.get(f"{stack.intake}/api/v1/cases", headers=stack.auth(key)), 401, "unauthorized")
    assert_error(httpx.get(f"{stack.intake}/api/v1/cases", headers={"X-API-Key": key}), 401, "unauthorized")
    # A key whose secret was tampered with is refused even though its id exists.
    other = stack.new_key(stack.tenant)
    wrong_secret = tampered(other)
    assert_error(httpx.get(f"{stack.intake}/api/v1/cases", headers=stack.auth(wrong_secret)), 401, "unauthorized")


# ---- tenant isolation ----------------------------------------------------------------------------


def test_every_route_refuses_another_tenants_case(stack: Stack, finished_case: dict[str, str]) -> None:
    intruder = stack.new_key(f"intruder-{uuid.uuid4().hex[:8]}")
    with httpx.Client(base_url=stack.intake, headers=stack.auth(intruder), timeout=30) as http:
        for method, path, kwargs in every_route(finished_case):
            response = http.request(method, path, **kwargs)
            if path in ("/api/v1/cases", "/api/v1/tasks"):
                # Its own (empty or new) collection: never the other tenant's items.
                assert response.status_code in (200, 201), response.text
                assert finished_case["case_id"] not in response.text
                continue
            assert_error(response, 404, "not_found")
    with connect(_ws_url(finished_case["case_id"]), additional_headers=stack.auth(intruder)) as ws:
        message = json.loads(ws.recv(timeout=10))
        assert message["type"] == "error"
        assert message["error"]["code"] == "not_found"
    # The owner still sees everything.
    with httpx.Client(base_url=stack.intake, headers=stack.auth(), timeout=30) as http:
        assert http.get(f"/api/v1/cases/{finished_case['case_id']}").status_code == 200


def _ws_url(case_id: str) -> str:
    return f"ws://127.0.0.1:{PORTS['intake']}/api/v1/cases/{case_id}/ws"


def test_websocket_without_a_key_is_refused(stack: Stack, finished_case: dict[str, str]) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(_ws_url(finished_case["case_id"]))
    assert refused.value.response.status_code == 401
    assert b'"unauthorized"' in refused.value.response.body


def test_the_tenant_comes_from_the_credential_not_the_request(stack: Stack, client: httpx.Client) -> None:
    other = stack.new_key(f"other-{uuid.uuid4().hex[:8]}")
    # A tenant named in the body or a header is not a credential.
    response = client.post("/api/v1/cases", json={"tenant_id": "other"}, headers={"X-Tenant-ID": "other"})
    assert_error(response, 422, "invalid_request")
    case_id = client.post("/api/v1/cases", json={}, headers={"X-Tenant-ID": "other"}).json()["case_id"]
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 200
    assert httpx.get(f"{stack.intake}/api/v1/cases/{case_id}", headers=stack.auth(other)).status_code == 404


# ---- uploads ---------------------------------------------------------------------------------------


def intake_pid(stack: Stack) -> int:
    return int((stack.log_dir.parent / "pids" / "service-intake.pid").read_text(encoding="utf-8"))


def reset_peak_rss(pid: int) -> None:
    """Start the process's peak RSS (VmHWM) afresh from its current RSS (Linux, as root or the owner)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5", encoding="utf-8")


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set size (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _multipart_head(boundary: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()


def _send_upload(stack: Stack, case_id: str, total: int, *, chunked: bool) -> tuple[int | None, int]:
    """Stream a `total`-byte upload over a raw socket; (HTTP status seen or None, bytes sent)."""
    boundary = uuid.uuid4().hex
    head = _multipart_head(boundary)
    headers = [
        f"POST /api/v1/cases/{case_id}/documents HTTP/1.1",
        f"Host: 127.0.0.1:{PORTS['intake']}",
        f"Authorization: Bearer {stack.api_key}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
    ]
    headers.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(head) + total}")
    sent = 0
    chunk = b"a" * (256 * 1024)
    with socket.create_connection(("127.0.0.1", PORTS["intake"]), timeout=30) as sock:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        sock.setblocking(False)
        response = b""
        deadline = time.monotonic() + 60
        try:
            pieces = [head] + [chunk] * (total // len(chunk))
            for piece in pieces:
                data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
                view = memoryview(data)
                while view:
                    with contextlib.suppress(BlockingIOError):
                        response += sock.recv(65536)
                    if response or time.monotonic() > deadline:
                        raise StopIteration
                    try:
                        n = sock.send(view)
                    except BlockingIOError:
                        time.sleep(0.001)
                        continue
                    sent += n
                    view = view[n:]
        except (StopIteration, ConnectionError):
            pass
        sock.setblocking(True)
        sock.settimeout(10)
        try:
            while b"\r\n\r\n" not in response:
                more = sock.recv(65536)
                if not more:
                    break
                response += more
        except (ConnectionError, TimeoutError):
            pass
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else None
    return status, sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_200_mb_upload_is_refused_with_bounded_memory(stack: Stack, client: httpx.Client, chunked: bool) -> None:
    case_id = client.post("/api/v1/cases", json={}).json()["case_id"]
    pid = intake_pid(stack)
    reset_peak_rss(pid)
    before = peak_rss_kib(pid)
    status, sent = _send_upload(stack, case_id, 200 * MiB, chunked=chunked)
    grown_mib = (peak_rss_kib(pid) - before) / 1024
    print(f"200 MiB upload, chunked={chunked}: status {status}, {sent} bytes sent, peak RSS +{grown_mib:.1f} MiB")
    assert status == 413
    assert sent < 30 * MiB, f"the service read {sent} bytes before refusing"
    assert grown_mib < 20, f"peak RSS grew {grown_mib:.1f} MiB"
    assert client.get("/health/live").status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.txt", b"", "unreadable_document"),
        ("whitespace.txt", b" \n\t ", "unreadable_document"),
        ("binary.txt", b"\x00\x01\x02binary", "unreadable_document"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "unreadable_document"),
        ("archive.pdf", b"PK\x03\x04" + b"\x00" * 64, "unreadable_document"),
        ("garbage.pdf", b"%PDF-1.4 garbage", "unreadable_document"),
        ("latin1.txt", "Dénial".encode("latin-1"), "unreadable_document"),
    ],
)
def test_bad_uploads_get_clear_4xx_errors(client: httpx.Client, name: str, content: bytes, code: str) -> None:
    case_id = client.post("/api/v1/cases", json={}).json()["case_id"]
    response = client.post(
        f"/api/v1/cases/{case_id}/documents",
        files={"file": (name, content, "application/pdf")},
        data={"doc_type": "denial_letter"},
    )
    error = assert_error(response, 422, code)
    assert name not in error["message"]


@pytest.mark.parametrize("doc_type", ["letter", "../../etc/passwd", "DENIAL_LETTER", "denial_letter\x00"])
def test_doc_type_must_be_one_of_the_enum(client: httpx.Client, doc_type: str) -> None:
    case_id = client.post("/api/v1/cases", json={}).json()["case_id"]
    response = client.post(
        f"/api/v1/cases/{case_id}/documents",
        files={"file": ("l.txt", b"a letter", "text/plain")},
        data={"doc_type": doc_type},
    )
    assert_error(response, 422, "invalid_request")


@pytest.mark.parametrize(
    "filename",
    ["../../../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow", "a\x00b.txt", "%2e%2e%2fetc", "😀" * 300],
)
def test_upload_file_names_are_never_used(client: httpx.Client, filename: str) -> None:
    case_id = client.post("/api/v1/cases", json={"auto_run": False}).json()["case_id"]
    letter = (LETTERS / "004.txt").read_bytes()
    response = client.post(f"/api/v1/cases/{case_id}/documents", files={"file": (filename, letter, "text/plain")})
    assert response.status_code == 201, response.text
    assert response.json()["document_id"].startswith("doc-")
    case = client.get(f"/api/v1/cases/{case_id}").text
    for fragment in ("passwd", "shadow", "win.ini"):
        assert fragment not in case


@pytest.mark.parametrize(
    "name", ["..%2F..%2Fetc%2Fpasswd", "....//....//etc/passwd", "route.json%00.md", "ROUTE.JSON", "x" * 300]
)
def test_artifact_names_outside_the_pipelines_are_not_found(
    client: httpx.Client, finished_case: dict[str, str], name: str
) -> None:
    response = client.get(f"/api/v1/cases/{finished_case['case_id']}/artifacts/{name}")
    assert response.status_code == 404
    assert_error(response, 404, "not_found")


def test_a_10_mb_text_letter_does_not_stall_the_service(stack: Stack, client: httpx.Client) -> None:
    """While a 10 MB letter is uploaded and read, and while the largest accepted letter runs through the
    pipeline, intake and router answer health checks in < 200 ms."""
    line = (LETTERS / "004.txt").read_text(encoding="utf-8")
    big = (line * (10 * MiB // len(line) + 1)).encode()[: 10 * MiB]
    largest = (line * (400_000 // len(line))).encode()
    latencies: dict[str, list[float]] = {"intake": [], "router": []}
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=5) as http:
            while not stop.is_set():
                for name in latencies:
                    started = time.perf_counter()
                    assert http.get(f"{stack.urls[name]}/health/live").status_code == 200
                    latencies[name].append(time.perf_counter() - started)
                time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        case_id = client.post("/api/v1/cases", json={}).json()["case_id"]
        refused = client.post(f"/api/v1/cases/{case_id}/documents", files={"file": ("big.txt", big, "text/plain")})
        assert refused.status_code in (413, 422), refused.text
        accepted = client.post(
            f"/api/v1/cases/{case_id}/documents", files={"file": ("large.txt", largest, "text/plain")}
        )
        assert accepted.status_code == 201, accepted.text
        task = wait_for_task(client, accepted.json()["task_id"], wait_seconds=120)
        assert task["status"] in ("succeeded", "failed")
    finally:
        stop.set()
        prober.join()
    for name, samples in latencies.items():
        print(f"{name} /health/live during the large letters: {len(samples)} probes, max {max(samples) * 1000:.0f} ms")
        assert len(samples) > 10, name
        assert max(samples) < 0.2, f"{name} health took {max(samples) * 1000:.0f} ms"


# ---- JSON bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{oops", "application/json"),
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b'{"mode": "slow"}', "application/json"),
        (b'{"auto_run": "maybe"}', "application/json"),
        (b'{"user_context": "x"}', "application/json"),
        (b'{"user_context": {"k": ' + b'"' + b"x" * 2000 + b'"}}', "application/json"),
        (b"\xff\xfe\x00{", "application/json"),
        (b"mode=fast", "application/x-www-form-urlencoded"),
    ],
    ids=[
        "malformed",
        "empty",
        "array",
        "bad-enum",
        "bad-bool",
        "bad-context",
        "long-context-value",
        "not-utf8",
        "form",
    ],
)
def test_malformed_json_gets_422(client: httpx.Client, body: bytes, content_type: str) -> None:
    response = client.post("/api/v1/cases", content=body, headers={"content-type": content_type})
    assert_error(response, 422, "invalid_request")


def test_deeply_nested_json_is_a_client_error(client: httpx.Client) -> None:
    body = b'{"a":' * 5000 + b"1" + b"}" * 5000
    response = client.post("/api/v1/cases", content=body, headers={"content-type": "application/json"})
    assert_error(response, 400, "bad_request")


def test_json_bodies_are_size_limited(client: httpx.Client) -> None:
    huge = json.dumps({"user_context": {f"k{i}": "x" * 900 for i in range(100)}}).encode()
    response = client.post("/api/v1/cases", content=huge, headers={"content-type": "application/json"})
    assert_error(response, 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:
        yield b'{"user_context": {"k": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}}'

    streamed = client.post("/api/v1/cases", content=chunks(), headers={"content-type": "application/json"})
    assert_error(streamed, 413, "payload_too_large")


def test_invalid_content_length_is_refused(stack: Stack) -> None:
    with socket.create_connection(("127.0.0.1", PORTS["intake"]), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + stack.api_key.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n{}"
        )
        answer = sock.recv(4096)
    assert answer.split(b" ", 2)[1] in (b"400", b"422")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/cases?limit=0"),
        ("GET", "/api/v1/cases?limit=100000"),
        ("GET", "/api/v1/cases?offset=-1"),
        ("GET", "/api/v1/tasks?limit=abc"),
    ],
)
def test_bad_query_parameters_get_422(client: httpx.Client, method: str, path: str) -> None:
    assert_error(client.request(method, path), 422, "invalid_request")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/cases/%00", 404, "not_found"),
        ("GET", "/api/v1/cases/" + "a" * 5000, 404, "not_found"),
        ("GET", "/api/v1/cases/{'$ne': null}", 404, "not_found"),
        ("GET", '/api/v1/tasks/{"$gt":""}', 404, "not_found"),
        ("GET", "/api/v1/nothing-here", 404, "not_found"),
        ("DELETE", "/api/v1/cases", 405, "method_not_allowed"),
    ],
)
def test_odd_paths_get_the_error_shape(client: httpx.Client, method: str, path: str, status: int, code: str) -> None:
    assert_error(client.request(method, path), status, code)


# ---- live progress ---------------------------------------------------------------------------------


def test_progress_streams_over_sse_and_websocket(stack: Stack, client: httpx.Client) -> None:
    case_id = client.post("/api/v1/cases", json={"auto_run": False}).json()["case_id"]
    letter = (LETTERS / "005.txt").read_bytes()
    client.post(f"/api/v1/cases/{case_id}/documents", files={"file": ("l.txt", letter, "text/plain")})
    events: list[tuple[str, Any]] = []

    def listen() -> None:
        with client.stream("GET", f"/api/v1/cases/{case_id}/events", timeout=60) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            name = ""
            for line in response.iter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    events.append((name, json.loads(line.split(":", 1)[1])))

    sse = threading.Thread(target=listen)
    with connect(_ws_url(case_id), additional_headers=stack.auth()) as ws:
        sse.start()
        time.sleep(0.5)
        task_id = client.post(f"/api/v1/cases/{case_id}/run/async").json()["task_id"]
        messages: list[dict[str, Any]] = []
        while not messages or messages[-1]["type"] != "end":
            messages.append(json.loads(ws.recv(timeout=60)))
    sse.join(timeout=60)
    for stream in ([m["task"] for m in messages if m["type"] == "task"], [d for n, d in events if n == "task"]):
        assert {t["task_id"] for t in stream} == {task_id}
        assert stream[-1]["status"] == "succeeded"
        assert len(stream) >= 2, "progress, not just the final state"
    assert events[-1][0] == "end"


def test_an_upstream_case_of_an_unknown_tenant_is_dead_lettered(stack: Stack, client: httpx.Client) -> None:
    case_id, events = upstream_events(sample_files()[0], tenant=f"ghost-{uuid.uuid4().hex[:8]}")
    asyncio.run(produce(stack.infra.kafka_bootstrap_servers, events))
    key = case_id.encode()
    dead = asyncio.run(
        collect(
            stack.infra.kafka_bootstrap_servers,
            Topic.CASE_CREATED.dead_letter,
            lambda r: r.key == key and headers_of(r)["dlq_error_class"] == "unknown_tenant",
            count=1,
        )
    )
    assert headers_of(dead[0])["dlq_original_topic"] == "case.created"
    assert_error(client.get(f"/api/v1/cases/{case_id}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/tasks/{auto_run_id(case_id)}"), 404, "not_found")
