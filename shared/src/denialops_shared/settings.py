"""Settings common to every service, read from the environment by pydantic-settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every service needs. Subclasses set `service_name`, the database and the HTTP port."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    service_name: str = "denialops"
    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"

    http_host: str = "127.0.0.1"
    http_port: int = 8000

    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_topic_partitions: int = Field(default=3, ge=1, le=256)
    kafka_replication_factor: int = Field(default=1, ge=1, le=5)

    mongodb_uri: SecretStr = SecretStr("mongodb://localhost:27017")
    mongodb_database: str = "denialops"

    # How long in-flight work may take to finish after SIGTERM.
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    # How often the outbox relay sweeps for events a crashed process left unsent.
    outbox_sweep_seconds: float = Field(default=2.0, gt=0)
