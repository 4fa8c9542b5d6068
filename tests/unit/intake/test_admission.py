"""Load shedding: at most `limit` runs in flight; finished or forgotten runs make room."""

from __future__ import annotations

from denialops_intake.admission import RunAdmission


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_runs_past_the_limit_are_refused_until_one_finishes() -> None:
    admission = RunAdmission(limit=2, forget_after_seconds=60, clock=Clock())
    assert admission.try_admit("run-1")
    assert admission.try_admit("run-2")
    assert not admission.try_admit("run-3")
    assert admission.in_flight == 2

    admission.finished("run-1")
    assert admission.try_admit("run-3")
    assert not admission.try_admit("run-4")


def test_a_run_already_in_flight_is_let_in_again_without_counting_twice() -> None:
    admission = RunAdmission(limit=1, forget_after_seconds=60, clock=Clock())
    assert admission.try_admit("run-1")
    assert admission.try_admit("run-1")
    assert admission.in_flight == 1


def test_a_run_never_seen_finishing_stops_counting_after_the_forget_time() -> None:
    clock = Clock()
    admission = RunAdmission(limit=2, forget_after_seconds=60, clock=clock)
    assert admission.try_admit("run-1")
    clock.now += 30
    assert admission.try_admit("run-2")
    assert not admission.try_admit("run-3")

    clock.now += 31  # run-1 is 61 s old, run-2 31 s
    assert admission.in_flight == 1
    assert admission.try_admit("run-3")
    assert not admission.try_admit("run-4")


def test_finishing_an_unknown_run_changes_nothing() -> None:
    admission = RunAdmission(limit=1, forget_after_seconds=60, clock=Clock())
    assert admission.try_admit("run-1")
    admission.finished("run-other")
    assert not admission.try_admit("run-2")
