"""Which deadline reminders are due: `deadline.approaching` at 14, 7, 1 and 0 days before an open
deadline, `deadline.missed` the day after it, each once per case, deadline and threshold.

A reminder falls due on its day and stays due until it is sent, so one that fell due while the service
was down goes out when it comes back. Thresholds that had already passed when the deadline became
known are skipped, except the nearest one (a letter read 5 days before its deadline gets the 7-day
reminder, not the 14-day one as well).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from denialops_intake.domain.worklist import NextDeadline

THRESHOLDS = (14, 7, 1, 0)
MISSED = "missed"


@dataclass(frozen=True, slots=True)
class Reminder:
    deadline: NextDeadline
    threshold: int | None  # None: missed
    days_left: int

    @property
    def key(self) -> str:
        """What makes it unique for its case: the deadline and the threshold."""
        mark = MISSED if self.threshold is None else str(self.threshold)
        return f"{self.deadline.kind}:{self.deadline.level}:{self.deadline.due.isoformat()}:{mark}"


def due_reminders(
    deadline: NextDeadline, *, known_on: dt.date, today: dt.date, sent: Collection[str]
) -> list[Reminder]:
    """The reminders of `deadline` due by `today` and not yet `sent`, in the order they fell due."""
    days_left = (deadline.due - today).days
    passed_when_known = [t for t in THRESHOLDS if deadline.due - dt.timedelta(days=t) < known_on]
    nearest_passed = min(passed_when_known, default=None)
    due: list[Reminder] = []
    for threshold in THRESHOLDS:
        fires_on = deadline.due - dt.timedelta(days=threshold)
        fell_due_while_known = known_on <= fires_on <= today
        # The nearest threshold already behind when the deadline became known, while it is still ahead.
        catch_up = threshold == nearest_passed and days_left >= 0
        if fell_due_while_known or catch_up:
            due.append(Reminder(deadline, threshold, days_left))
    if days_left < 0:
        due.append(Reminder(deadline, None, days_left))
    return [r for r in due if r.key not in sent]
