"""The circuit breaker's states, on a fake clock."""

from __future__ import annotations

from denialops_llm_worker.llm.circuit import CircuitBreaker


def test_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=10, clock=lambda: 0.0)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.is_open
    assert not breaker.allow()


def test_half_open_lets_one_probe_through_and_its_outcome_decides() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, reset_seconds=10, clock=lambda: now[0])
    breaker.record_failure()
    now[0] = 10.0
    assert breaker.allow()
    assert not breaker.allow()  # one probe at a time
    breaker.record_failure()
    assert not breaker.allow()  # open again, for a whole period
    now[0] = 20.0
    assert breaker.allow()
    breaker.record_success()
    assert not breaker.is_open
    assert breaker.allow()
    assert breaker.allow()
