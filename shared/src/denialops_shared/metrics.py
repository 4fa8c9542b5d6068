"""Prometheus metrics: how a service declares them, and the ones every service exports.

Every metric is declared once, in its service's `metrics.py`, through `counter`, `gauge` or
`histogram`: name, unit, help and labels, checked against the conventions (`denialops_` prefix, the
base unit in the name, `_total` on counters). `DECLARED` is the resulting table, which the tests and
the docs read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from prometheus_client import Counter, Gauge, Histogram

PREFIX = "denialops_"
# Prometheus base units; a count of things names the thing instead (`_messages`, `_events`, `_tokens`).
BASE_UNITS = frozenset({"seconds", "bytes", "ratio", "usd", "info"})
_NON_BASE_UNITS = re.compile(r"_(milliseconds|microseconds|ms|minutes|hours|kilobytes|megabytes|percent)(_|$)")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

Kind = Literal["counter", "gauge", "histogram"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    kind: Kind
    unit: str
    help: str
    labels: tuple[str, ...]


DECLARED: dict[str, MetricSpec] = {}


def _declare(name: str, kind: Kind, unit: str, help_text: str, labels: Sequence[str]) -> None:
    problems = []
    if not name.startswith(PREFIX) or not _NAME.match(name):
        problems.append(f"must be snake_case and start with {PREFIX!r}")
    if (kind == "counter") != name.endswith("_total"):
        problems.append("counters, and only counters, end in _total")
    stem = name.removesuffix("_total")
    if unit and not stem.endswith(f"_{unit}"):
        problems.append(f"the unit {unit!r} must end the name (before _total)")
    if _NON_BASE_UNITS.search(name):
        problems.append("use base units (seconds, bytes)")
    if not help_text.strip():
        problems.append("needs a help text")
    if name in DECLARED:
        problems.append("is declared twice")
    if problems:
        raise ValueError(f"metric {name}: " + "; ".join(problems))
    DECLARED[name] = MetricSpec(name, kind, unit, help_text, tuple(labels))


def counter(name: str, help_text: str, labels: Sequence[str] = (), unit: str = "") -> Counter:
    _declare(name, "counter", unit, help_text, labels)
    return Counter(name, help_text, labels)


def gauge(name: str, help_text: str, labels: Sequence[str] = (), unit: str = "") -> Gauge:
    _declare(name, "gauge", unit, help_text, labels)
    return Gauge(name, help_text, labels)


def histogram(
    name: str, help_text: str, labels: Sequence[str] = (), unit: str = "seconds", buckets: Sequence[float] = ()
) -> Histogram:
    _declare(name, "histogram", unit, help_text, labels)
    return Histogram(name, help_text, labels, buckets=tuple(buckets) or Histogram.DEFAULT_BUCKETS)


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# ---- exported by every service -------------------------------------------------------------------

EVENTS_CONSUMED = counter(
    "denialops_events_consumed_total",
    "Kafka records consumed, by topic and outcome (processed, invalid, dead_lettered, redelivered).",
    ["topic", "outcome"],
)
EVENTS_PUBLISHED = counter("denialops_events_published_total", "Events published and acknowledged by Kafka.", ["topic"])
PRODUCER_RENEWALS = counter(
    "denialops_kafka_producer_renewals_total",
    "Kafka producers replaced because aiokafka gave them up (out-of-order sequence after a broker crash).",
)
HANDLER_SECONDS = histogram(
    "denialops_event_handler_duration_seconds",
    "Time to handle one consumed event, by topic.",
    ["topic"],
    buckets=LATENCY_BUCKETS,
)
EVENT_GROUP_FALLBACKS = counter(
    "denialops_event_group_fallbacks_total",
    "Groups of one case's records that failed when handled together and were handled one by one instead.",
    ["error_class"],
)
DEAD_LETTERS = counter(
    "denialops_dead_letters_total",
    "Records sent to a dead-letter topic, by original topic and error class.",
    ["topic", "error_class"],
)
OUTBOX_PUBLISH_FAILURES = counter(
    "denialops_outbox_publish_failures_total", "Outbox flushes that failed and were left for the relay."
)
OUTBOX_BACKLOG = gauge(
    "denialops_outbox_backlog_documents",
    "Documents whose outbox still holds unpublished events, by collection (at the last relay sweep).",
    ["collection"],
)
MONGO_COMMANDS = counter(
    "denialops_mongo_commands_total", "Database commands sent, by command and collection.", ["command", "collection"]
)
MONGO_COMMAND_SECONDS = histogram(
    "denialops_mongo_command_duration_seconds",
    "Database command latency, by command.",
    ["command"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = counter("denialops_http_requests_total", "HTTP requests served.", ["method", "route", "status"])
HTTP_SECONDS = histogram(
    "denialops_http_request_duration_seconds", "HTTP request latency.", ["method", "route"], buckets=LATENCY_BUCKETS
)
DEPENDENCY_UP = gauge(
    "denialops_dependency_up", "1 when the dependency answered the last readiness check.", ["dependency"]
)
