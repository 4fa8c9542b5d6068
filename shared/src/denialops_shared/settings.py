"""Settings common to every service, read from the environment by pydantic-settings.

`ENVIRONMENT=production` makes a service refuse to start unless Kafka is reached over SASL_SSL with
SCRAM credentials and MongoDB with credentials over TLS, all from the environment: no setting has a
default secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Self
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KAFKA_SASL_MECHANISM = "SCRAM-SHA-512"
MongoFlavour = Literal["ferretdb", "mongodb"]
_TRUE = {"true", "1", "yes"}


class InsecureConfiguration(RuntimeError):
    """Production settings without credentials. The message names settings, never their values.

    Not a ValueError on purpose: pydantic would wrap a ValueError with the input, secrets included.
    """


@dataclass(frozen=True)
class ConsumerOptions:
    """How a service's one Kafka consumer reads."""

    group_id: str
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    # Records of this many cases (keys) are handled at once; one case's records always in order.
    concurrency: int = 16
    # At most this many records are fetched, handled and committed together.
    max_batch: int = 200
    # A handler that fails (not a dependency outage) is tried this often, waiting about
    # `retry_base_seconds` x 2^(attempt - 1) with jitter in between, then its record is dead-lettered.
    handler_attempts: int = 3
    retry_base_seconds: float = 0.2
    # A dependency outage redelivers the record after this pause (so an outage does not spin the CPU).
    redelivery_pause_seconds: float = 1.0


class ServiceSettings(BaseSettings):
    """What every service needs. Subclasses set `service_name`, the database and the HTTP port."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = "denialops"
    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"

    http_host: str = "127.0.0.1"
    http_port: int = 8000

    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    # Consumer groups are "<prefix>-<service>": stacks sharing one broker keep their own offsets.
    kafka_group_prefix: str = Field(default="denialops", pattern=r"^[A-Za-z0-9._-]+$")
    # Where a new consumer group starts. `latest` suits a throwaway stack on a shared broker (tests):
    # readiness waits for the group's partitions, so nothing published after `ready` is missed.
    kafka_auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    kafka_consumer_concurrency: int = Field(default=ConsumerOptions.concurrency, ge=1, le=1024)
    kafka_consumer_max_batch: int = Field(default=ConsumerOptions.max_batch, ge=1, le=10_000)
    kafka_handler_attempts: int = Field(default=ConsumerOptions.handler_attempts, ge=1, le=20)
    kafka_handler_retry_base_seconds: float = Field(default=ConsumerOptions.retry_base_seconds, ge=0, le=60)
    kafka_redelivery_pause_seconds: float = Field(default=ConsumerOptions.redelivery_pause_seconds, ge=0, le=60)
    kafka_topic_partitions: int = Field(default=3, ge=1, le=256)
    kafka_replication_factor: int = Field(default=1, ge=1, le=5)

    # In production: mongodb://USER:PASSWORD@HOST/?tls=true (or mongodb+srv://, TLS by default).
    mongodb_uri: SecretStr = SecretStr("mongodb://localhost:27017")
    mongodb_database: str = "denialops"
    # Which server MONGODB_URI points at. `ferretdb` (the local and test database) applies an update by
    # reading and rewriting the document, not atomically, and answers only `_id` filters from an index:
    # updates of one document are serialised in-process (`mongo.document_lock`). `mongodb` applies each
    # update atomically, so no lock is taken.
    mongodb_flavour: MongoFlavour = "ferretdb"

    # How long in-flight work may take to finish after SIGTERM.
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    # How often the outbox relay sweeps for events a crashed process left unsent.
    outbox_sweep_seconds: float = Field(default=2.0, gt=0)

    @model_validator(mode="after")
    def _production_needs_credentials(self) -> Self:
        if self.environment == "production" and (problems := self.production_problems()):
            raise InsecureConfiguration(f"{self.service_name} refuses to start in production: " + "; ".join(problems))
        return self

    @property
    def consumer_group(self) -> str:
        return f"{self.kafka_group_prefix}-{self.service_name}"

    @property
    def consumer_options(self) -> ConsumerOptions:
        return ConsumerOptions(
            group_id=self.consumer_group,
            auto_offset_reset=self.kafka_auto_offset_reset,
            concurrency=self.kafka_consumer_concurrency,
            max_batch=self.kafka_consumer_max_batch,
            handler_attempts=self.kafka_handler_attempts,
            retry_base_seconds=self.kafka_handler_retry_base_seconds,
            redelivery_pause_seconds=self.kafka_redelivery_pause_seconds,
        )

    def production_problems(self) -> list[str]:
        """What keeps these settings from being safe in production (subclasses add their own)."""
        return [*_kafka_problems(self), *_mongodb_problems(self.mongodb_uri.get_secret_value())]


def _kafka_problems(settings: ServiceSettings) -> list[str]:
    problems = []
    if settings.kafka_security_protocol != "SASL_SSL":
        problems.append("KAFKA_SECURITY_PROTOCOL must be SASL_SSL")
    if settings.kafka_sasl_mechanism != KAFKA_SASL_MECHANISM:
        problems.append(f"KAFKA_SASL_MECHANISM must be {KAFKA_SASL_MECHANISM}")
    if not settings.kafka_sasl_username:
        problems.append("KAFKA_SASL_USERNAME is not set")
    if settings.kafka_sasl_password is None or not settings.kafka_sasl_password.get_secret_value():
        problems.append("KAFKA_SASL_PASSWORD is not set")
    return problems


def _mongodb_problems(uri: str) -> list[str]:
    try:
        parts = urlsplit(uri)
        username, password = parts.username, parts.password
    except ValueError:
        return ["MONGODB_URI is not a valid URI"]
    problems = []
    if not username or not password:
        problems.append("MONGODB_URI has no username and password")
    options = {key.lower(): values[-1].lower() for key, values in parse_qs(parts.query).items()}
    tls = options.get("tls", options.get("ssl"))
    if not (tls in _TRUE or (parts.scheme == "mongodb+srv" and tls is None)):
        problems.append("MONGODB_URI does not enable TLS (tls=true)")
    if any(options.get(flag) in _TRUE for flag in ("tlsinsecure", "tlsallowinvalidcertificates")):
        problems.append("MONGODB_URI disables TLS certificate checks")
    return problems
