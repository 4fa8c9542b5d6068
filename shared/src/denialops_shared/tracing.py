"""OpenTelemetry tracing across HTTP and Kafka, with W3C trace context (`traceparent`, `tracestate`).

A service process records spans with the SDK, so every event it produces carries the trace context
of the request or the record that caused it (`encode` adds `trace_headers()`; the consumer opens its
span from the record's headers). HTTP server spans come from FastAPI itself, which traces requests
(continuing the caller's `traceparent`) as soon as a tracer provider is installed. Spans are recorded
only when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, the standard variables): exporting is off by default, and then
no provider is installed at all, since spans that nobody collects cost CPU on every request and record
(FastAPI's server and operation spans, the consumer spans). A consumer still passes the trace context
of the record it handles on to the events it produces (OpenTelemetry's no-op spans carry their parent).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
TRACE_HEADERS = ("traceparent", "tracestate")

# W3C trace context explicitly: events must carry it whatever OTEL_PROPAGATORS says.
_propagator = TraceContextTextMapPropagator()
# A proxy: it follows whichever provider `configure` installs later.
_tracer = trace.get_tracer("denialops")


def otlp_endpoint(environ: Mapping[str, str] = os.environ) -> str | None:
    return next((environ[name] for name in ENDPOINT_VARIABLES if environ.get(name)), None)


def configure(
    service_name: str, environ: Mapping[str, str] = os.environ, processor: SpanProcessor | None = None
) -> TracerProvider | None:
    """Install the process's tracer provider when its spans go somewhere: to `processor`, or over OTLP when
    an endpoint is set. Without either, nothing is installed and None is returned (see the module's doc)."""
    if processor is None and otlp_endpoint(environ):
        # Imported only when used: the exporter pulls in protobuf and an HTTP client.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter())
    if processor is None:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": f"denialops-{service_name}"}))
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return provider


def trace_headers() -> dict[str, str]:
    """The current trace context as W3C headers; empty outside any span."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


@contextmanager
def consumer_span(topic: str, headers: Mapping[str, str]) -> Iterator[Span]:
    """The span of handling one Kafka record, a child of the span that produced it."""
    parent = _propagator.extract({k: v for k, v in headers.items() if k in TRACE_HEADERS})
    attributes = {"messaging.system": "kafka", "messaging.destination.name": topic, "messaging.operation": "process"}
    with _tracer.start_as_current_span(
        f"{topic} process", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span
