"""Health service settings (environment variables)."""

from pydantic import Field

from denialops_shared.settings import ServiceSettings


class HealthSettings(ServiceSettings):
    service_name: str = "health"
    http_port: int = Field(default=8003, validation_alias="HEALTH_PORT")
    mongodb_database: str = Field(default="denialops_health", validation_alias="HEALTH_MONGODB_DATABASE")
    # name=base URL of every service whose readiness is aggregated.
    health_targets: dict[str, str] = Field(
        default_factory=lambda: {
            "intake": "http://127.0.0.1:8000",
            "router": "http://127.0.0.1:8001",
            "llm-worker": "http://127.0.0.1:8002",
        }
    )
    # Groups whose lag is reported; empty means the three consuming services under kafka_group_prefix.
    lag_groups: list[str] = Field(default_factory=list)

    @property
    def consumer_groups(self) -> list[str]:
        services = ("intake", "router", "llm-worker")
        return self.lag_groups or [f"{self.kafka_group_prefix}-{name}" for name in services]

    poll_seconds: float = Field(default=5.0, gt=0)
