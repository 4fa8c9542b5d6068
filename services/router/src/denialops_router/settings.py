"""Router settings (environment variables)."""

from pydantic import Field

from denialops_shared.settings import ServiceSettings


class RouterSettings(ServiceSettings):
    service_name: str = "router"
    http_port: int = Field(default=8001, validation_alias="ROUTER_PORT")
    mongodb_database: str = Field(
        default="denialops_router",
        validation_alias="ROUTER_MONGODB_DATABASE",
    )
    # Processes that run extraction and routing (0: on the event loop, which a long letter then stalls).
    extraction_workers: int = Field(default=1, ge=0, le=32)
