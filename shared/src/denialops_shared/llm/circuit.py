"""A circuit breaker: after repeated failures, stop calling the model for a while, then try one call."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from denialops_shared.llm.metrics import CIRCUIT_OPEN


class CircuitOpen(Exception):
    """The breaker refused the call."""


class CircuitBreaker:
    """Closed until `failure_threshold` calls fail in a row; open for `reset_seconds`; then half-open,
    letting one probe through: its success closes the circuit, its failure opens it again.

    Calls go through `guard()`, so every way out of one settles the state: a probe that is cancelled (or
    ends by any exception that is not the model's failure) gives its turn back without a verdict, and the
    next call may probe; without that, the circuit would stay open for good.
    """

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

    @contextmanager
    def guard(self, failure: type[BaseException]) -> Iterator[None]:
        """One call: refused with `CircuitOpen`; an exception of type `failure` counts against the model,
        a clean exit for it; anything else (cancellation included) settles nothing but the probe's turn."""
        probe = self._admit()
        try:
            yield
        except failure:
            self._record_failure()
            raise
        except BaseException:
            if probe:
                self._probing = False
            raise
        self._record_success()

    def _admit(self) -> bool:
        """Whether the call is the half-open probe; raises `CircuitOpen` when it may not go."""
        if self._opened_at is None:
            return False
        if self._probing or self._clock() - self._opened_at < self._reset_seconds:
            raise CircuitOpen
        self._probing = True
        return True

    def _record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False
        CIRCUIT_OPEN.set(0)

    def _record_failure(self) -> None:
        self._failures += 1
        if self._probing or self._failures >= self._threshold:
            self._opened_at = self._clock()
            self._probing = False
            CIRCUIT_OPEN.set(1)
