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
# Case work and reminders: counts only, labels from closed sets (no tenant, no patient data).
CASE_TRANSITIONS = counter(
    "denialops_case_transitions_total", "Case status changes, by the status the case moved to.", ["status"]
)
CASE_SUBMISSIONS = counter(
    "denialops_case_submissions_total", "Submissions recorded (appeals and the like), by level.", ["level"]
)
CASE_DECISIONS = counter("denialops_case_decisions_total", "Payer decisions recorded, by outcome.", ["outcome"])
RECOVERED_DOLLARS = counter(
    "denialops_case_recovered_usd_total", "US dollars recovered by recorded payer decisions.", unit="usd"
)
DENIALS_RECEIVED = counter(
    "denialops_denials_received_total", "Cases whose first letter was read into the worklist, by route.", ["route"]
)
DEADLINE_REMINDERS = counter(
    "denialops_deadline_reminders_total",
    "Deadline reminders sent: kind approaching (threshold 14, 7, 1, 0 days) or missed.",
    ["kind", "threshold"],
)
REMINDER_SWEEP_FAILURES = counter(
    "denialops_reminder_sweep_failures_total", "Reminder sweeps that failed (retried at the next interval)."
)
REMITTANCE_CLAIMS = counter(
    "denialops_remittance_claims_total",
    "Claims of received 835 remittances, by what became of them (created, updated, skipped).",
    ["outcome"],
)
REMITTANCES_REFUSED = counter(
    "denialops_remittances_refused_total", "835 files refused as malformed, by the way they came in.", ["via"]
)
