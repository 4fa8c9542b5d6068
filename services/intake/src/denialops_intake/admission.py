"""Load shedding, by runs: a bound on the runs this process started that have not finished yet.

Past its capacity the pipeline only queues, and every case waits longer (Little's law: cases in flight =
throughput x latency). Refusing a new run at once (503 overloaded, with a time to retry) keeps the
latency of the runs it took bounded and tells the client now, instead of letting everyone time out.
`middleware.RequestLimit` bounds the HTTP work in front of it the same way. The bound is about the
pipeline's capacity and the latency one will accept: in flight <= cases per second x seconds.

A run this process does not see finish (another replica consumed its last stage, or it was lost) stops
counting after `forget_after_seconds`, so the count never leaks.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import TTLCache

from denialops_intake.metrics import OVERLOAD_REFUSALS, RUNS_IN_FLIGHT


class RunAdmission:
    def __init__(self, limit: int, forget_after_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.forget_after_seconds = forget_after_seconds
        # Run id -> admitted; an entry expires `forget_after_seconds` after it was admitted. Never fuller
        # than `limit` (a run past it is refused before it is added), so it never evicts a run in flight.
        self._admitted: TTLCache[str, bool] = TTLCache(maxsize=limit, ttl=forget_after_seconds, timer=clock)

    @property
    def in_flight(self) -> int:
        count = len(self._admitted)  # drops the expired entries first
        RUNS_IN_FLIGHT.set(count)
        return count

    def try_admit(self, run_id: str) -> bool:
        """Count the run in, or refuse it when `limit` runs are already in flight (a known run is let in)."""
        if run_id in self._admitted:
            return True
        if self.in_flight >= self.limit:
            OVERLOAD_REFUSALS.labels("runs_in_flight").inc()
            return False
        self._admitted[run_id] = True
        RUNS_IN_FLIGHT.set(len(self._admitted))
        return True

    def finished(self, run_id: str) -> None:
        if self._admitted.pop(run_id, None) is not None:
            RUNS_IN_FLIGHT.set(len(self._admitted))
