"""A circuit breaker: after repeated failures, stop calling the model for a while, then try one call."""

from __future__ import annotations

import time
from collections.abc import Callable

from denialops_llm_worker.llm.metrics import CIRCUIT_OPEN


class CircuitBreaker:
    """Closed until `failure_threshold` calls fail in a row; open for `reset_seconds`; then half-open,
    letting one probe through: its success closes the circuit, its failure opens it again."""

    def __init__(
        self, failure_threshold: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold = failure_threshold
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        if self._opened_at is None:
            return True
        if self._probing or self._clock() - self._opened_at < self._reset_seconds:
            return False
        self._probing = True
        return True

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False
        CIRCUIT_OPEN.set(0)

    def record_failure(self) -> None:
        self._failures += 1
        if self._probing or self._failures >= self._threshold:
            self._opened_at = self._clock()
            self._probing = False
            CIRCUIT_OPEN.set(1)
