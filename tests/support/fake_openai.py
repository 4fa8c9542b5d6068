"""A local OpenAI-compatible server for tests and benchmarks (no DenialOps imports: any client can use it).

`POST /v1/chat/completions` answers like the real API: structured output (`response_format` of type
`json_schema`: the configured answer for that schema name, else the smallest instance of the schema)
and streaming (SSE chunks, then `data: [DONE]`). Behaviour is set over HTTP:

- `POST /_config` merges `latency_ms`, `error_rate` (share of requests answered 500), `responses`
  (schema name, or `text`, -> answer), `stream_text`, and appends `fail_next` (a list of
  `{"status": 429|500|503, "retry_after": seconds, "headers": {...}}` or `{"malformed": true}`, used up
  in order; `headers` are sent as given, e.g. `retry-after-ms` or `x-should-retry`);
- `GET /_stats`: requests, completed, in flight, the maximum in flight, answers by status;
- `GET /_requests`: the last request bodies (never headers: the API key stays out);
- `POST /_reset`: counters, scripted failures and answers back to the start-up configuration.

Run it in-process with `FakeOpenAI()` (a context manager; uvicorn in a thread on a free loopback
port) or as a process: `python -m tests.support.fake_openai --port 8900 --latency-ms 500`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

KEPT_REQUESTS = 50
DEFAULT_TEXT = "The claim was denied. Follow the plan's steps before the deadline."


@dataclass
class FakeConfig:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    responses: dict[str, Any] = field(default_factory=dict)
    stream_text: str = DEFAULT_TEXT


@dataclass
class _State:
    initial: FakeConfig
    config: FakeConfig
    script: deque[dict[str, Any]] = field(default_factory=deque)
    requests: int = 0
    completed: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    bodies: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=KEPT_REQUESTS))

    def reset(self) -> None:
        self.config = FakeConfig(**{**vars(self.initial), "responses": dict(self.initial.responses)})
        self.script.clear()
        self.bodies.clear()
        self.by_status.clear()
        self.requests = self.completed = self.in_flight = self.max_in_flight = 0


def minimal_instance(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """The smallest value valid for a JSON Schema (objects with their required properties)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return minimal_instance(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = schema[key]
            nullable = [o for o in options if o.get("type") == "null"]
            return None if nullable else minimal_instance(options[0], defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = "null" if "null" in kind else kind[0]
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: minimal_instance(properties[name], defs) for name in schema.get("required", properties)}
    return {"array": [], "string": "", "integer": 0, "number": 0, "boolean": False, "null": None}.get(str(kind))


def _answer_content(state: _State, body: dict[str, Any]) -> str:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        spec = response_format["json_schema"]
        answer = state.config.responses.get(spec["name"])
        return json.dumps(answer if answer is not None else minimal_instance(spec.get("schema", {})))
    return str(state.config.responses.get("text", state.config.stream_text))


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _error(status: int, retry_after: float | None = None, extra_headers: dict[str, str] | None = None) -> JSONResponse:
    kind = "rate_limit_error" if status == 429 else "server_error"
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
    headers.update(extra_headers or {})
    return JSONResponse({"error": {"message": f"fake {kind}", "type": kind, "code": None}}, status, headers)


def _chunk(completion_id: str, model: str, delta: dict[str, Any], finish: str | None) -> str:
    chunk = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n"


def create_app(config: FakeConfig | None = None) -> Starlette:
    initial = config or FakeConfig()
    state = _State(initial=initial, config=FakeConfig())
    state.reset()

    async def completions(request: Request) -> Response:
        body = await request.json()
        state.requests += 1
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        state.bodies.append(body)
        streaming = False
        try:
            await asyncio.sleep(state.config.latency_ms / 1000)
            scripted = state.script.popleft() if state.script else {}
            if "status" in scripted:
                response: Response = _error(
                    int(scripted["status"]), scripted.get("retry_after"), scripted.get("headers")
                )
            elif random.random() < state.config.error_rate:
                response = _error(500)
            elif body.get("stream"):
                streaming = True
                response = StreamingResponse(_stream(body), media_type="text/event-stream")
            else:
                content = '{"summary": "unterminated' if scripted.get("malformed") else _answer_content(state, body)
                response = JSONResponse(_completion(body, content))
            state.by_status[str(response.status_code)] += 1
            return response
        finally:
            if not streaming:
                _done()

    def _done() -> None:
        state.in_flight -= 1
        state.completed += 1

    def _completion(body: dict[str, Any], content: str) -> dict[str, Any]:
        prompt = json.dumps(body.get("messages", []))
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": _tokens(prompt),
                "completion_tokens": _tokens(content),
                "total_tokens": _tokens(prompt) + _tokens(content),
            },
        }

    async def _stream(body: dict[str, Any]) -> AsyncIterator[str]:
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        model = str(body.get("model", "fake"))
        try:
            yield _chunk(completion_id, model, {"role": "assistant", "content": ""}, None)
            for word in _answer_content(state, body).split(" "):
                yield _chunk(completion_id, model, {"content": word + " "}, None)
                await asyncio.sleep(0)
            yield _chunk(completion_id, model, {}, "stop")
            yield "data: [DONE]\n\n"
        finally:
            _done()

    async def configure(request: Request) -> Response:
        changes = await request.json()
        for name in ("latency_ms", "error_rate", "stream_text"):
            if name in changes:
                setattr(state.config, name, changes[name])
        state.config.responses.update(changes.get("responses", {}))
        state.script.extend(changes.get("fail_next", []))
        return JSONResponse({"ok": True})

    async def stats(_: Request) -> Response:
        return JSONResponse(
            {
                "requests": state.requests,
                "completed": state.completed,
                "in_flight": state.in_flight,
                "max_in_flight": state.max_in_flight,
                "by_status": dict(state.by_status),
            }
        )

    async def bodies(_: Request) -> Response:
        return JSONResponse(list(state.bodies))

    async def reset(_: Request) -> Response:
        state.reset()
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/_config", configure, methods=["POST"]),
            Route("/_stats", stats, methods=["GET"]),
            Route("/_requests", bodies, methods=["GET"]),
            Route("/_reset", reset, methods=["POST"]),
        ]
    )


class FakeControl:
    """The fake's control endpoints, for a fake running anywhere on loopback."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_base = f"{self.base_url}/v1"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, self.base_url + path, json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def configure(self, **changes: Any) -> None:
        self._call("POST", "/_config", changes)

    def stats(self) -> dict[str, Any]:
        return dict(self._call("GET", "/_stats"))

    def requests(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_requests"))

    def reset(self) -> None:
        self._call("POST", "/_reset")


class FakeOpenAI(FakeControl):
    """The fake served by uvicorn in a background thread, on a free loopback port, for a `with` block."""

    def __init__(self, config: FakeConfig | None = None) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        super().__init__(f"http://127.0.0.1:{self.port}")
        self._server = uvicorn.Server(
            uvicorn.Config(create_app(config), log_level="warning", lifespan="off", access_log=False)
        )
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        self._socket.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    args = parser.parse_args()
    app = create_app(FakeConfig(latency_ms=args.latency_ms, error_rate=args.error_rate))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
