"""Router's own metrics (the shared ones are in denialops_shared.metrics)."""

from denialops_shared.metrics import counter

ROUTES_CHOSEN = counter("denialops_routes_chosen_total", "Runs routed, by the route chosen.", ["route"])
STAGE_FAILURES = counter(
    "denialops_router_stage_failures_total",
    "Runs ended by a router stage that raised (a bug or an unreadable document), by stage and exception class.",
    ["stage", "error_class"],
)
