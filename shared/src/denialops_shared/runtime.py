"""The process every service runs: a FastAPI app whose lifespan owns Kafka, MongoDB and background tasks.

A service may start before Kafka or the database: the connector keeps trying in the background and
`/health/ready` stays 503 until both answer; it also goes 503 again whenever one stops answering
and recovers by itself. Uvicorn turns SIGTERM into the lifespan shutdown, where the broker stops
fetching and drains in-flight handlers (bounded by the graceful timeout) before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from denialops_shared import mongo, tracing
from denialops_shared.config_view import configuration_report
from denialops_shared.kafka import create_broker, ensure_topics, wait_for_assignment
from denialops_shared.logging import configure_logging
from denialops_shared.metrics import DEPENDENCY_UP, HTTP_REQUESTS, HTTP_SECONDS
from denialops_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

READINESS_TIMEOUT_SECONDS = 1.5
GROUP_JOIN_SECONDS = 60.0
CONNECT_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)

StartupHook = Callable[["ServiceContext"], Awaitable[None]]
BackgroundTask = Callable[["ServiceContext"], Coroutine[Any, Any, None]]


@dataclass
class ServiceContext:
    """The adapters of one service process, built once by the composition root."""

    settings: ServiceSettings
    broker: KafkaBroker
    mongo_client: AsyncMongoClient[mongo.Document]
    db: AsyncDatabase[mongo.Document]
    kafka_connected: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def build_context(settings: ServiceSettings) -> ServiceContext:
    client = mongo.create_client(settings)
    return ServiceContext(
        settings=settings,
        broker=create_broker(settings),
        mongo_client=client,
        db=mongo.database(client, settings),
    )


async def _connect(ctx: ServiceContext, on_connected: Sequence[StartupHook]) -> None:
    """Retry until the database and the broker answer, then run the startup hooks once."""
    attempt = 0
    while True:
        try:
            if not await mongo.ping(ctx.mongo_client):
                raise ConnectionError("database not reachable")
            for hook in on_connected:
                await hook(ctx)
            await ensure_topics(ctx.settings)
            await ctx.broker.start()
            # Ready means consuming: with `latest`, anything published after this point is seen.
            if not await wait_for_assignment(ctx.broker, GROUP_JOIN_SECONDS):
                raise ConnectionError("consumer group did not get partitions")
            ctx.kafka_connected = True
            log.info("service.connected", extra={"attempts": attempt + 1})
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            with contextlib.suppress(Exception):
                await ctx.broker.stop()
            delay = CONNECT_RETRY_SECONDS[min(attempt, len(CONNECT_RETRY_SECONDS) - 1)]
            log.warning("service.connect.retry", extra={"error_class": type(exc).__name__, "delay_s": delay})
            attempt += 1
            await asyncio.sleep(delay)


async def readiness(ctx: ServiceContext) -> dict[str, bool]:
    kafka_ok, db_ok = await asyncio.gather(
        _kafka_ready(ctx),
        asyncio.wait_for(mongo.ping(ctx.mongo_client), READINESS_TIMEOUT_SECONDS),
        return_exceptions=True,
    )
    checks = {"kafka": kafka_ok is True, "database": db_ok is True}
    for name, ok in checks.items():
        DEPENDENCY_UP.labels(dependency=name).set(1 if ok else 0)
    return checks


async def _kafka_ready(ctx: ServiceContext) -> bool:
    return ctx.kafka_connected and await ctx.broker.ping(timeout=READINESS_TIMEOUT_SECONDS)


def create_app(
    ctx: ServiceContext,
    *,
    title: str,
    version: str,
    on_connected: Sequence[StartupHook] = (),
    background: Sequence[BackgroundTask] = (),
    on_stop: Sequence[Callable[[], None]] = (),
) -> FastAPI:
    """A FastAPI app with health, metrics and the Kafka/Mongo lifecycle. Add routes to it as needed."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def connect_then_run_background() -> None:
            await _connect(ctx, on_connected)
            ctx.tasks.extend(asyncio.create_task(task(ctx)) for task in background)

        ctx.tasks.append(asyncio.create_task(connect_then_run_background()))
        log.info("service.started", extra={"version": version})
        try:
            yield
        finally:
            log.info("service.stopping")
            for task in ctx.tasks:
                task.cancel()
            await asyncio.gather(*ctx.tasks, return_exceptions=True)
            # Stops fetching, waits for in-flight handlers (graceful_timeout), then closes the producer.
            await ctx.broker.stop()
            for stop in on_stop:
                stop()
            await ctx.mongo_client.close()
            log.info("service.stopped")

    app = FastAPI(title=title, version=version, lifespan=lifespan)

    app.add_middleware(RecordMetrics)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", tags=["health"])
    async def ready() -> JSONResponse:
        checks = await readiness(ctx)
        ok = all(checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503)

    @app.get("/health/config", tags=["health"])
    async def config() -> dict[str, Any]:
        """This service's settings with every secret masked, for operators (the health service shows them)."""
        return configuration_report(ctx.settings.service_name, version, ctx.settings)

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


class RecordMetrics:
    """Requests by method, route template and status, and the time until the response starts.

    A plain ASGI middleware: Starlette's `@app.middleware("http")` passes every response body through
    an extra stream, which costs CPU on each event of a long SSE response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        recorded = False

        def record(status: int) -> None:
            nonlocal recorded
            recorded = True
            # The router puts the matched route in the scope: its template, so ids never become labels.
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            HTTP_REQUESTS.labels(method=scope["method"], route=route, status=str(status)).inc()
            HTTP_SECONDS.labels(method=scope["method"], route=route).observe(time.perf_counter() - started)

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        except Exception:
            if not recorded:
                record(500)
            raise


def _stopped_by_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    configure_logging(settings.service_name, settings.log_level)
    # Uvicorn drains on SIGTERM, then re-raises the signal under the handler it found at start:
    # this one makes that planned stop exit 0 instead of dying by the signal.
    signal.signal(signal.SIGTERM, _stopped_by_signal)
    tracer_provider = tracing.configure(settings.service_name)
    try:
        uvicorn.run(
            app,
            host=settings.http_host,
            port=settings.http_port,
            # Named, not "auto": a missing uvloop or httptools fails the start instead of falling back to
            # the slower asyncio loop and h11 parser. FastStream's consumers run on this same loop.
            loop="uvloop",
            http="httptools",
            server_header=False,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        )
    finally:
        if tracer_provider is not None:
            tracer_provider.shutdown()  # exports the spans still buffered
