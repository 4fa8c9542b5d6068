"""Prometheus metrics shared by every service (`denialops_` prefix, base units in names)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "denialops_events_consumed_total",
    "Kafka records consumed, by topic and outcome (processed, invalid, dead_lettered, redelivered).",
    ["topic", "outcome"],
)
EVENTS_PUBLISHED = Counter("denialops_events_published_total", "Events published and acknowledged by Kafka.", ["topic"])
HANDLER_SECONDS = Histogram(
    "denialops_event_handler_duration_seconds",
    "Time to handle one consumed event.",
    ["topic"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "denialops_outbox_publish_failures_total", "Outbox flushes that failed and were left for the relay."
)
HTTP_REQUESTS = Counter("denialops_http_requests_total", "HTTP requests served.", ["method", "route", "status"])
HTTP_SECONDS = Histogram(
    "denialops_http_request_duration_seconds",
    "HTTP request latency.",
    ["method", "route"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DEPENDENCY_UP = Gauge(
    "denialops_dependency_up", "1 when the dependency answered the last readiness check.", ["dependency"]
)
