"""OpenTelemetry tracing across HTTP and Kafka, with W3C trace context (`traceparent`, `tracestate`).

A service process records spans with the SDK, so every event it produces carries the trace context
of the request or the record that caused it (`encode` adds `trace_headers()`; the consumer opens its
span from the record's headers). HTTP server spans come from FastAPI itself, which traces requests
(continuing the caller's `traceparent`) as soon as a tracer provider is installed. Spans leave the
process only when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, the standard variables): exporting is off by default.
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
) -> TracerProvider:
    """Install the process's tracer provider; spans are exported over OTLP only when an endpoint is set."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"denialops-{service_name}"}))
    if processor is not None:
        provider.add_span_processor(processor)
    elif otlp_endpoint(environ):
        # Imported only when used: the exporter pulls in protobuf and an HTTP client.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
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
