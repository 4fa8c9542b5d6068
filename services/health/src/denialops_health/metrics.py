"""The health service's own metrics (the shared ones are in denialops_shared.metrics)."""

from denialops_shared.metrics import gauge

SERVICE_UP = gauge("denialops_service_up", "1 when the service's /health/ready answered 200.", ["service"])
CONSUMER_LAG = gauge(
    "denialops_consumer_lag_messages",
    "Records not yet consumed, by consumer group, topic and partition.",
    ["group", "topic", "partition"],
)
