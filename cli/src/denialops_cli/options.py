"""Command-line options shared by the operations commands (watch, status, dlq)."""

from __future__ import annotations

from typing import Annotated

import typer

ApiUrl = Annotated[str, typer.Option(envvar="DENIALOPS_API_URL", help="Base URL of the intake service.")]
DEFAULT_API_URL = "http://127.0.0.1:8000"
HealthUrl = Annotated[str, typer.Option(envvar="DENIALOPS_HEALTH_URL", help="Base URL of the health service.")]
DEFAULT_HEALTH_URL = "http://127.0.0.1:8003"
Bootstrap = Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", help="Kafka bootstrap servers.")]
DEFAULT_BOOTSTRAP = "localhost:9092"
