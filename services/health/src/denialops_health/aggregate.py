"""Polls every service's readiness and masked configuration, and the consumer lag; keeps the latest picture."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from denialops_health.lag import PartitionLag, consumer_lag
from denialops_health.metrics import CONSUMER_LAG, SERVICE_UP
from denialops_health.settings import HealthSettings
from denialops_shared.llm.factory import redis_client
from denialops_shared.metrics import DEPENDENCY_UP

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 2.0
LAG_TIMEOUT_SECONDS = 5.0


@dataclass
class SystemStatus:
    services: dict[str, dict[str, object]] = field(default_factory=dict)
    configuration: dict[str, dict[str, Any]] = field(default_factory=dict)
    lag: list[PartitionLag] = field(default_factory=list)
    # Dependencies a service can do without (the Redis cache): name -> reachable at the last poll.
    optional: dict[str, bool] = field(default_factory=dict)
    checked_at: dt.datetime | None = None

    @property
    def healthy(self) -> bool:
        return bool(self.services) and all(s.get("ready") is True for s in self.services.values())


def _json(response: httpx.Response) -> Any:
    return response.json() if response.headers.get("content-type", "").startswith("application/json") else {}


async def check_service(client: httpx.AsyncClient, base_url: str) -> dict[str, object]:
    try:
        response = await client.get(f"{base_url}/health/ready", timeout=REQUEST_TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return {"ready": False, "error": type(exc).__name__}
    return {"ready": response.status_code == 200, "detail": _json(response)}


async def fetch_configuration(client: httpx.AsyncClient, base_url: str) -> dict[str, Any] | None:
    """The service's settings as it reports them, secrets already masked by the service itself."""
    try:
        response = await client.get(f"{base_url}/health/config", timeout=REQUEST_TIMEOUT_SECONDS)
    except httpx.HTTPError:
        return None
    body = _json(response) if response.status_code == 200 else None
    return body if isinstance(body, dict) else None


async def redis_up(redis: Redis) -> bool:
    try:
        await redis.ping()
    except RedisError as exc:
        log.warning("health.redis.unreachable", extra={"error_class": type(exc).__name__})
        return False
    return True


async def poll_once(
    settings: HealthSettings, status: SystemStatus, client: httpx.AsyncClient, redis: Redis | None = None
) -> None:
    names = list(settings.health_targets)
    urls = [settings.health_targets[n] for n in names]
    checks, configs = await asyncio.gather(
        asyncio.gather(*(check_service(client, url) for url in urls)),
        asyncio.gather(*(fetch_configuration(client, url) for url in urls)),
    )
    status.services = dict(zip(names, checks, strict=True))
    # A service that does not answer keeps the configuration it last reported.
    status.configuration.update({n: c for n, c in zip(names, configs, strict=True) if c is not None})
    for name, result in status.services.items():
        SERVICE_UP.labels(service=name).set(1 if result["ready"] else 0)
    try:
        status.lag = await asyncio.wait_for(
            consumer_lag(settings.kafka_bootstrap_servers, settings.consumer_groups), timeout=LAG_TIMEOUT_SECONDS
        )
    except Exception as exc:
        log.warning("health.lag.failed", extra={"error_class": type(exc).__name__})
    for item in status.lag:
        CONSUMER_LAG.labels(group=item.group, topic=item.topic, partition=str(item.partition)).set(item.lag)
    if redis is not None:
        status.optional["redis"] = up = await redis_up(redis)
        DEPENDENCY_UP.labels(dependency="redis").set(1 if up else 0)
    status.checked_at = dt.datetime.now(dt.UTC)


async def poll_forever(settings: HealthSettings, status: SystemStatus) -> None:
    redis = redis_client(settings.cache) if settings.cache.backend == "redis" else None
    async with httpx.AsyncClient() as client:
        while True:
            await poll_once(settings, status, client, redis)
            await asyncio.sleep(settings.poll_seconds)
