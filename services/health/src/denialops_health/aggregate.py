"""Polls every service's readiness and the consumer lag, and keeps the latest picture."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field

import httpx
from prometheus_client import Gauge

from denialops_health.lag import PartitionLag, consumer_lag
from denialops_health.settings import HealthSettings

log = logging.getLogger(__name__)

SERVICE_UP = Gauge("denialops_service_up", "1 when the service's /health/ready answered 200.", ["service"])
CONSUMER_LAG = Gauge("denialops_consumer_lag_messages", "Records not yet consumed.", ["group", "topic", "partition"])


@dataclass
class SystemStatus:
    services: dict[str, dict[str, object]] = field(default_factory=dict)
    lag: list[PartitionLag] = field(default_factory=list)
    checked_at: dt.datetime | None = None

    @property
    def healthy(self) -> bool:
        return bool(self.services) and all(s.get("ready") is True for s in self.services.values())


async def check_service(client: httpx.AsyncClient, base_url: str) -> dict[str, object]:
    try:
        response = await client.get(f"{base_url}/health/ready", timeout=2.0)
    except httpx.HTTPError as exc:
        return {"ready": False, "error": type(exc).__name__}
    detail: object = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    return {"ready": response.status_code == 200, "detail": detail}


async def poll_once(settings: HealthSettings, status: SystemStatus, client: httpx.AsyncClient) -> None:
    names = list(settings.health_targets)
    results = await asyncio.gather(*(check_service(client, settings.health_targets[n]) for n in names))
    status.services = dict(zip(names, results, strict=True))
    for name, result in status.services.items():
        SERVICE_UP.labels(service=name).set(1 if result["ready"] else 0)
    try:
        status.lag = await asyncio.wait_for(
            consumer_lag(settings.kafka_bootstrap_servers, settings.consumer_groups), timeout=5
        )
    except Exception as exc:
        log.warning("health.lag.failed", extra={"error_class": type(exc).__name__})
    for item in status.lag:
        CONSUMER_LAG.labels(group=item.group, topic=item.topic, partition=str(item.partition)).set(item.lag)
    status.checked_at = dt.datetime.now(dt.UTC)


async def poll_forever(settings: HealthSettings, status: SystemStatus) -> None:
    async with httpx.AsyncClient() as client:
        while True:
            await poll_once(settings, status, client)
            await asyncio.sleep(settings.poll_seconds)
