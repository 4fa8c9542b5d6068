"""The deadline timeline and step due dates, derived only from the deadline the plan works to and `today`.

With `deadlines.json` (the router's deadline engine) that is the first level, in the engine's order
(expedited first), that has a filing date; without it, the appeal deadline read from the letter.
"""

from __future__ import annotations

import datetime as dt
import math

from denialops_shared.contracts.artifacts import (
    CaseFacts,
    ClockBasis,
    DeadlineBasis,
    DeadlineLevel,
    Deadlines,
    DeadlineTimeline,
    Urgency,
)

# An urgent case is worked in the expedited-review clock (72 hours), not the whole appeal window.
EXPEDITED_HORIZON_DAYS = 3
# How the timeline's older vocabulary says each clock basis: an assumed date is the receipt assumption's kind.
_BASIS = {
    ClockBasis.PRINTED: DeadlineBasis.PRINTED,
    ClockBasis.COMPUTED: DeadlineBasis.FROM_DENIAL_DATE,
    ClockBasis.ASSUMED: DeadlineBasis.FROM_RECEIPT,
}


def next_dated_level(deadlines: Deadlines) -> DeadlineLevel | None:
    return next((level for level in deadlines.levels if level.filing.due is not None), None)


def build_timeline(facts: CaseFacts, today: dt.date, deadlines: Deadlines | None = None) -> DeadlineTimeline:
    if deadlines is not None:
        level = next_dated_level(deadlines)
        deadline = level.filing.due if level else None
        return DeadlineTimeline(
            as_of=today,
            appeal_deadline=deadline,
            days_remaining=(deadline - today).days if deadline else None,
            basis=_BASIS[level.filing.basis] if level else DeadlineBasis.UNKNOWN,
            level=level.level if level else None,
            regime=deadlines.regime,
        )
    deadline = facts.appeal_deadline
    return DeadlineTimeline(
        as_of=today,
        appeal_deadline=deadline,
        days_remaining=(deadline - today).days if deadline else None,
        basis=facts.appeal_deadline_basis if deadline else DeadlineBasis.UNKNOWN,
    )


def due_date(share: float, timeline: DeadlineTimeline, urgency: Urgency) -> dt.date | None:
    """The date `share` of the way from today to the deadline; None if unknown or already passed."""
    days = timeline.days_remaining
    if days is None or days < 0:
        return None
    horizon = min(days, EXPEDITED_HORIZON_DAYS) if urgency is Urgency.EXPEDITED else days
    return timeline.as_of + dt.timedelta(days=math.floor(horizon * share))
