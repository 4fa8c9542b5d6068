"""Intake's own metrics (the shared ones are in denialops_shared.metrics)."""

from denialops_shared.metrics import LATENCY_BUCKETS, counter, gauge, histogram

RUN_SECONDS = histogram(
    "denialops_run_duration_seconds",
    "End-to-end run latency, from the run's creation to its final stage, by final status.",
    ["status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30, 60),
)
STAGE_SECONDS = histogram(
    "denialops_stage_duration_seconds",
    "Time the owning service's handler spent on one pipeline stage, by stage and status.",
    ["stage", "status"],
    buckets=LATENCY_BUCKETS,
)
RUNS_IN_FLIGHT = gauge(
    "denialops_runs_in_flight", "Runs this intake started over HTTP that have not finished (the admission count)."
)
REQUESTS_IN_FLIGHT = gauge(
    "denialops_http_requests_in_flight", "API requests in progress (streams left out): the load shedding count."
)
OVERLOAD_REFUSALS = counter(
    "denialops_overload_refusals_total",
    "Requests refused with 503 overloaded, by the bound that was reached (runs_in_flight, requests_in_flight).",
    ["limit"],
)
DEPENDENCY_FAILURES = counter(
    "denialops_intake_dependency_failures_total",
    "API requests answered 503 unavailable because a dependency could not be reached, by dependency.",
    ["dependency"],
)
