"""Trace context flows HTTP request -> event headers -> Kafka consumer, and exporting is off by default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from faststream.kafka import KafkaBroker, TestKafkaBroker
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

from denialops_shared import kafka, tracing
from denialops_shared.contracts.cloudevents import EncodedEvent, ReceivedEvent, encode
from denialops_shared.contracts.events import CaseCreated, EventBody
from denialops_shared.contracts.topics import Topic
from denialops_shared.runtime import build_context, create_app
from denialops_shared.settings import ConsumerOptions, ServiceSettings

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def reset_global_provider() -> None:
    """The API lets a process set its tracer provider once; tests need a fresh one each (as OTel's own do)."""
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    reset_global_provider()
    provider = tracing.configure("test", environ={}, processor=SimpleSpanProcessor(exporter))
    assert provider is not None
    # The module's proxy tracer kept the provider it first saw.
    monkeypatch.setattr(tracing, "_tracer", provider.get_tracer("denialops"))
    yield exporter
    provider.shutdown()
    reset_global_provider()


def event() -> EncodedEvent:
    return encode(Topic.CASE_CREATED, CaseCreated(tenant_id="t", case_id="case-1"), source="/test")


def test_without_a_span_an_event_carries_no_trace_headers() -> None:
    assert "traceparent" not in event().headers


def test_an_http_request_continues_the_callers_trace_into_the_events_it_produces(
    spans: InMemorySpanExporter,
) -> None:
    ctx = build_context(ServiceSettings())
    app = create_app(ctx, title="t", version="0")
    produced: list[EncodedEvent] = []

    @app.post("/things/{thing_id}")
    async def make(thing_id: str) -> dict[str, str]:
        produced.append(event())
        return {"ok": thing_id}

    response = TestClient(app).post("/things/42", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200
    finished = spans.get_finished_spans()
    # FastAPI's own server span, continuing the caller's trace.
    (server,) = [s for s in finished if s.kind is trace.SpanKind.SERVER]
    assert server.name == "POST /things/{thing_id}"
    assert format(server.context.trace_id, "032x") == TRACEPARENT.split("-")[1]
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == TRACEPARENT.split("-")[2]
    # The event carries the trace, with a span of this request as its parent.
    (headers,) = [e.headers for e in produced]
    _, trace_id, parent_id, _ = headers["traceparent"].split("-")
    assert trace_id == TRACEPARENT.split("-")[1]
    assert parent_id in {format(s.context.span_id, "016x") for s in finished}


async def test_a_consumed_record_is_handled_in_a_child_span_of_its_producer(spans: InMemorySpanExporter) -> None:
    broker = KafkaBroker()
    seen: list[str] = []

    async def handler(received: ReceivedEvent[EventBody]) -> None:
        seen.append(tracing.trace_headers()["traceparent"])

    kafka.subscribe(broker, ConsumerOptions("g"), {Topic.CASE_CREATED: handler})
    produced = encode(
        Topic.CASE_CREATED,
        CaseCreated(tenant_id="t", case_id="case-1"),
        source="/t",
        extra_headers={"traceparent": TRACEPARENT},
    )
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(produced.value, Topic.CASE_CREATED.value, key=b"case-1", headers=produced.headers)
    (consumer,) = [s for s in spans.get_finished_spans() if s.kind is trace.SpanKind.CONSUMER]
    assert consumer.name == "case.created process"
    assert format(consumer.context.trace_id, "032x") == TRACEPARENT.split("-")[1]
    assert consumer.parent is not None
    assert format(consumer.parent.span_id, "016x") == TRACEPARENT.split("-")[2]
    (inside,) = seen
    assert inside.split("-")[2] == format(consumer.context.span_id, "016x")


def test_spans_are_exported_over_otlp_only_when_an_endpoint_is_configured() -> None:
    assert tracing.otlp_endpoint({}) is None
    assert tracing.otlp_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) == "http://collector:4318"
    try:
        reset_global_provider()
        # Nothing collects the spans: no provider, so neither FastAPI nor the consumers record any.
        assert tracing.configure("test", environ={}) is None
        assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
        provider = tracing.configure("test", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"})
        assert provider is not None
        assert trace.get_tracer_provider() is provider
        active = provider._active_span_processor._span_processors
        assert [type(p).__name__ for p in active] == ["BatchSpanProcessor"]
        provider.shutdown()
    finally:
        reset_global_provider()


async def test_without_a_provider_a_consumer_still_passes_the_records_trace_on() -> None:
    reset_global_provider()
    broker = KafkaBroker()
    seen: list[dict[str, str]] = []

    async def handler(received: ReceivedEvent[EventBody]) -> None:
        seen.append(tracing.trace_headers())

    kafka.subscribe(broker, ConsumerOptions("g"), {Topic.CASE_CREATED: handler})
    produced = encode(
        Topic.CASE_CREATED,
        CaseCreated(tenant_id="t", case_id="case-1"),
        source="/t",
        extra_headers={"traceparent": TRACEPARENT},
    )
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(produced.value, Topic.CASE_CREATED.value, key=b"case-1", headers=produced.headers)
    assert [headers.get("traceparent") for headers in seen] == [TRACEPARENT]
