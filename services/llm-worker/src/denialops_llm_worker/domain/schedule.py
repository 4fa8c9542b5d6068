"""The deadline timeline and step due dates, derived only from the appeal deadline and `today`."""

from __future__ import annotations

import datetime as dt
import math

from denialops_shared.contracts.artifacts import CaseFacts, DeadlineBasis, DeadlineTimeline, Urgency

# An urgent case is worked in the expedited-review clock (72 hours), not the whole appeal window.
EXPEDITED_HORIZON_DAYS = 3


def build_timeline(facts: CaseFacts, today: dt.date) -> DeadlineTimeline:
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
