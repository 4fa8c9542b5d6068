"""Router's own metrics (the shared ones are in denialops_shared.metrics)."""

from denialops_shared.metrics import counter

ROUTES_CHOSEN = counter("denialops_routes_chosen_total", "Runs routed, by the route chosen.", ["route"])
