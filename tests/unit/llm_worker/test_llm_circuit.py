"""The circuit breaker's states, on a fake clock: every way out of a call settles them."""

from __future__ import annotations

import asyncio

import pytest

from denialops_shared.llm.circuit import CircuitBreaker, CircuitOpen


class ModelFailed(Exception):
    pass


def succeed(breaker: CircuitBreaker) -> None:
    with breaker.guard(ModelFailed):
        pass


def fail(breaker: CircuitBreaker) -> None:
    with pytest.raises(ModelFailed), breaker.guard(ModelFailed):
        raise ModelFailed


def allowed(breaker: CircuitBreaker) -> bool:
    """Whether a call may go now; it is settled as a success when it may (so a probe closes the circuit)."""
    try:
        succeed(breaker)
    except CircuitOpen:
        return False
    return True


def test_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=10, clock=lambda: 0.0)
    fail(breaker)
    fail(breaker)
    succeed(breaker)
    fail(breaker)
    fail(breaker)
    assert not breaker.is_open
    fail(breaker)
    assert breaker.is_open
    assert not allowed(breaker)


def test_half_open_lets_one_probe_through_and_its_outcome_decides() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, reset_seconds=10, clock=lambda: now[0])
    fail(breaker)
    now[0] = 10.0
    with breaker.guard(ModelFailed):
        assert not allowed(breaker)  # one probe at a time
    assert not breaker.is_open  # the probe succeeded
    fail(breaker)
    assert not allowed(breaker)  # open again, for a whole period
    now[0] = 20.0
    fail(breaker)  # the probe failed: open again
    assert not allowed(breaker)
    now[0] = 30.0
    assert allowed(breaker)
    assert not breaker.is_open


@pytest.mark.parametrize("ending", [asyncio.CancelledError, TimeoutError, KeyboardInterrupt])
def test_a_probe_ended_by_cancellation_or_any_other_exception_gives_its_turn_back(
    ending: type[BaseException],
) -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, reset_seconds=10, clock=lambda: now[0])
    fail(breaker)
    now[0] = 10.0
    with pytest.raises(ending), breaker.guard(ModelFailed):
        raise ending
    # No verdict on the model: the circuit is still open, and the next call is the probe.
    assert breaker.is_open
    assert allowed(breaker)
    assert not breaker.is_open


async def test_a_cancelled_probe_task_does_not_lock_the_circuit_open() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, reset_seconds=10, clock=lambda: now[0])
    fail(breaker)
    now[0] = 10.0
    started = asyncio.Event()

    async def probe() -> None:
        with breaker.guard(ModelFailed):
            started.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(probe())
    await started.wait()
    assert not allowed(breaker)  # the probe is under way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert allowed(breaker)
