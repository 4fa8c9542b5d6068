"""Per-tenant request rate limits (the `limits` library, moving window, in this process's memory).

Each replica counts its own requests: behind N replicas a tenant gets up to N times the limit, which
keeps one tenant from starving the others without a shared store on the request path.
"""

from __future__ import annotations

import math
import time

from limits import parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


class TenantRateLimiter:
    def __init__(self, limits: str) -> None:
        self._limits = parse_many(limits)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def retry_after(self, tenant_id: str) -> int | None:
        """Count one request; None when allowed, else the seconds to wait before the next one."""
        for limit in self._limits:
            if not await self._limiter.hit(limit, "tenant", tenant_id):
                stats = await self._limiter.get_window_stats(limit, "tenant", tenant_id)
                return max(1, math.ceil(stats.reset_time - time.time()))
        return None
