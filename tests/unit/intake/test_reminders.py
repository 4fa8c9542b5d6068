"""Which reminders are due: thresholds 14, 7, 1 and 0 days, missed after, once each."""

from __future__ import annotations

import datetime as dt

import pytest

from denialops_intake.domain.reminders import due_reminders
from denialops_intake.domain.worklist import NextDeadline

DUE = dt.date(2025, 2, 15)
DEADLINE = NextDeadline("appeal", "filing", DUE)
KNOWN = dt.date(2025, 1, 1)


def marks(today: dt.date, known_on: dt.date = KNOWN, sent: tuple[str, ...] = ()) -> list[str]:
    return [r.key.rsplit(":", 1)[1] for r in due_reminders(DEADLINE, known_on=known_on, today=today, sent=sent)]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2025, 1, 31), []),
        (dt.date(2025, 2, 1), ["14"]),
        (dt.date(2025, 2, 8), ["14", "7"]),
        (dt.date(2025, 2, 14), ["14", "7", "1"]),
        (DUE, ["14", "7", "1", "0"]),
        (dt.date(2025, 2, 16), ["14", "7", "1", "0", "missed"]),
    ],
)
def test_every_threshold_that_fell_due_is_due_until_sent(today: dt.date, expected: list[str]) -> None:
    assert marks(today) == expected


def test_what_was_sent_is_not_due_again() -> None:
    sent = tuple(f"filing:appeal:{DUE.isoformat()}:{m}" for m in ("14", "7"))
    assert marks(dt.date(2025, 2, 14), sent=sent) == ["1"]


def test_a_deadline_learnt_late_gets_the_nearest_threshold_only() -> None:
    known = dt.date(2025, 2, 10)  # 5 days before the deadline: past the 14- and 7-day marks
    assert marks(known, known_on=known) == ["7"]
    assert marks(dt.date(2025, 2, 14), known_on=known) == ["7", "1"]


def test_a_deadline_learnt_after_it_passed_is_missed_only() -> None:
    known = dt.date(2025, 2, 20)
    assert marks(known, known_on=known) == ["missed"]


def test_keys_name_the_deadline_so_a_new_deadline_is_reminded_afresh() -> None:
    (first,) = due_reminders(DEADLINE, known_on=KNOWN, today=dt.date(2025, 2, 1), sent=())
    moved = NextDeadline("appeal", "filing", DUE + dt.timedelta(days=30))
    (second,) = due_reminders(moved, known_on=KNOWN, today=dt.date(2025, 3, 3), sent=(first.key,))
    assert first.key != second.key
