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
from collections import OrderedDict
from collections.abc import Callable

from denialops_intake.metrics import OVERLOAD_REFUSALS, RUNS_IN_FLIGHT


class RunAdmission:
    def __init__(self, limit: int, forget_after_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.forget_after_seconds = forget_after_seconds
        self._clock = clock
        # Run id -> when it was admitted, oldest first.
        self._admitted: OrderedDict[str, float] = OrderedDict()

    @property
    def in_flight(self) -> int:
        self._expire()
        return len(self._admitted)

    def try_admit(self, run_id: str) -> bool:
        """Count the run in, or refuse it when `limit` runs are already in flight (a known run is let in)."""
        self._expire()
        if run_id in self._admitted:
            return True
        if len(self._admitted) >= self.limit:
            OVERLOAD_REFUSALS.labels("runs_in_flight").inc()
            return False
        self._admitted[run_id] = self._clock()
        RUNS_IN_FLIGHT.set(len(self._admitted))
        return True

    def finished(self, run_id: str) -> None:
        if self._admitted.pop(run_id, None) is not None:
            RUNS_IN_FLIGHT.set(len(self._admitted))

    def _expire(self) -> None:
        cutoff = self._clock() - self.forget_after_seconds
        while self._admitted and next(iter(self._admitted.values())) < cutoff:
            self._admitted.popitem(last=False)
        RUNS_IN_FLIGHT.set(len(self._admitted))
