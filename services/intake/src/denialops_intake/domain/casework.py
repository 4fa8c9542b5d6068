"""Case work: statuses, the transitions between them, submissions, decisions and notes.

`new → in_progress → submitted → decided (overturned | partially_overturned | upheld) → closed`, or
`written_off` with a reason. A submission moves a case to `submitted`, a decision to `decided`; an
upheld (or partly upheld) decision moves the case to the next level of review, whose deadlines the
worklist then counts. Every change returns the history entries that describe it (who, when, what).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Status(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    DECIDED = "decided"
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"


class Outcome(StrEnum):
    OVERTURNED = "overturned"
    PARTIALLY_OVERTURNED = "partially_overturned"
    UPHELD = "upheld"


class Channel(StrEnum):
    PORTAL = "portal"
    FAX = "fax"
    MAIL = "mail"
    PHONE = "phone"
    EMAIL = "email"
    CLEARINGHOUSE = "clearinghouse"


class Level(StrEnum):
    """Levels of review, as the deadline engine names them (`DeadlineLevel.level`)."""

    APPEAL = "appeal"
    RECONSIDERATION = "reconsideration"
    REDETERMINATION = "redetermination"
    EXTERNAL_REVIEW = "external_review"
    FAIR_HEARING = "fair_hearing"
    CORRECTED_CLAIM = "corrected_claim"
    REOPENING = "reopening"
    COVERAGE_DETERMINATION = "coverage_determination"


LEVEL_NAMES = frozenset(level.value for level in Level)
OPEN_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.SUBMITTED, Status.DECIDED})
# What PATCH may set; `submitted` and `decided` follow from recording a submission or a decision.
PATCH_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WRITTEN_OFF}),
    Status.IN_PROGRESS: frozenset({Status.WRITTEN_OFF}),
    Status.SUBMITTED: frozenset({Status.WRITTEN_OFF}),
    Status.DECIDED: frozenset({Status.IN_PROGRESS, Status.CLOSED, Status.WRITTEN_OFF}),
    Status.CLOSED: frozenset(),
    Status.WRITTEN_OFF: frozenset(),
}
# A decided case goes back to work (the next level) only when the payer did not pay in full.
REWORKABLE = frozenset({Outcome.UPHELD, Outcome.PARTIALLY_OVERTURNED})
SUBMITTABLE = frozenset({Status.NEW, Status.IN_PROGRESS, Status.DECIDED})

MAX_AMOUNT = 10_000_000.0  # no single claim denial is worth more: a larger figure is a typing error
MAX_NOTES = 500
MAX_SUBMISSIONS = 50
# A date may be up to a day ahead of the server's (time zones); later than that it is a mistake.
FUTURE_SLACK = dt.timedelta(days=1)


class TransitionRefused(Exception):
    """The change is not allowed from the case's current status (409)."""


class InvalidValue(Exception):
    """A value the change cannot take (422): a date before the denial, an absurd amount."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Submission(_Model):
    id: str
    level: Level
    date: dt.date
    channel: Channel
    documents: list[str] = Field(default_factory=list)
    recorded_at: dt.datetime
    by: str


class Decision(_Model):
    id: str
    level: Level
    outcome: Outcome
    date: dt.date
    amount_recovered: float
    recorded_at: dt.datetime
    by: str


class Note(_Model):
    id: str
    text: str
    at: dt.datetime
    by: str


class HistoryEntry(_Model):
    at: dt.datetime
    by: str
    action: str
    changes: dict[str, Any] = Field(default_factory=dict)


class Work(_Model):
    """The case-work state of one case, stored on the case's document."""

    status: Status = Status.NEW
    owner: str | None = None
    # The level being worked; None until a decision moves the case on (the deadlines' next action then).
    level: Level | None = None
    outcome: Outcome | None = None
    written_off_reason: str | None = None
    submissions: list[Submission] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    resolved_on: dt.date | None = None

    @property
    def recovered(self) -> float:
        return round(sum(d.amount_recovered for d in self.decisions), 2)

    @property
    def first_submitted_on(self) -> dt.date | None:
        return min((s.date for s in self.submissions), default=None)


def _entry(at: dt.datetime, by: str, action: str, **changes: Any) -> HistoryEntry:
    return HistoryEntry(at=at, by=by, action=action, changes=changes)


def change(
    work: Work,
    *,
    at: dt.datetime,
    by: str,
    owner: str | None = None,
    set_owner: bool = False,
    status: Status | None = None,
    written_off_reason: str | None = None,
) -> tuple[Work, list[HistoryEntry]]:
    """Set the owner and/or the status (PATCH). Setting what is already set changes nothing."""
    entries: list[HistoryEntry] = []
    updates: dict[str, Any] = {}
    if set_owner and owner != work.owner:
        updates["owner"] = owner
        entries.append(_entry(at, by, "owner_changed", before=work.owner, after=owner))
    if status is not None and status != work.status:
        if status not in PATCH_TRANSITIONS[work.status]:
            raise TransitionRefused(f"a {work.status.value} case cannot become {status.value}")
        if work.status is Status.DECIDED and status is Status.IN_PROGRESS and work.outcome not in REWORKABLE:
            raise TransitionRefused("an overturned case has nothing left to work: close it")
        if status is Status.WRITTEN_OFF:
            if not written_off_reason:
                raise InvalidValue("reason_required", "a write-off needs a written_off_reason")
            updates["written_off_reason"] = written_off_reason
        if status in (Status.CLOSED, Status.WRITTEN_OFF):
            updates["resolved_on"] = work.resolved_on or at.date()
        updates["status"] = status
        entries.append(
            _entry(at, by, "status_changed", before=work.status.value, after=status.value, reason=written_off_reason)
        )
    elif written_off_reason is not None and status is not Status.WRITTEN_OFF:
        raise InvalidValue("unexpected_reason", "written_off_reason goes with status written_off")
    return work.model_copy(update=updates), entries


def _check_date(day: dt.date, not_before: dt.date, what: str, today: dt.date) -> None:
    if day < not_before:
        raise InvalidValue("date_out_of_range", f"the {what} date is before {not_before.isoformat()}")
    if day > today + FUTURE_SLACK:
        raise InvalidValue("date_out_of_range", f"the {what} date is in the future")


def submit(
    work: Work, submission: Submission, *, denied_on: dt.date, today: dt.date
) -> tuple[Work, list[HistoryEntry]]:
    """Record what was sent to the payer: the case is `submitted` at that level."""
    if work.status not in SUBMITTABLE or (work.status is Status.DECIDED and work.outcome not in REWORKABLE):
        raise TransitionRefused(f"a {work.status.value} case cannot record a submission")
    if len(work.submissions) >= MAX_SUBMISSIONS:
        raise TransitionRefused("this case has as many submissions as it can hold")
    last = work.decisions[-1].date if work.status is Status.DECIDED and work.decisions else denied_on
    _check_date(submission.date, last, "submission", today)
    entry = _entry(
        submission.recorded_at,
        submission.by,
        "submission_recorded",
        submission_id=submission.id,
        level=submission.level.value,
        date=submission.date.isoformat(),
        channel=submission.channel.value,
        documents=list(submission.documents),
        before=work.status.value,
        after=Status.SUBMITTED.value,
    )
    updated = work.model_copy(
        update={"status": Status.SUBMITTED, "level": submission.level, "submissions": [*work.submissions, submission]}
    )
    return updated, [entry]


def decide(
    work: Work,
    decision: Decision,
    *,
    today: dt.date,
    amount_at_stake: float | None,
    levels: Sequence[str],
) -> tuple[Work, list[HistoryEntry]]:
    """Record the payer's decision on the last submission. An upheld or partly upheld decision moves the
    case to the level that follows in `levels` (the deadlines' order), if there is one."""
    if work.status is not Status.SUBMITTED or not work.submissions:
        raise TransitionRefused(f"a {work.status.value} case has no submission awaiting a decision")
    submitted = work.submissions[-1]
    _check_date(decision.date, submitted.date, "decision", today)
    _check_amount(decision, amount_at_stake)
    next_level = _following(submitted.level.value, levels) if decision.outcome in REWORKABLE else None
    updates: dict[str, Any] = {
        "status": Status.DECIDED,
        "outcome": decision.outcome,
        "decisions": [*work.decisions, decision],
        "level": next_level if decision.outcome in REWORKABLE else submitted.level,
    }
    if decision.outcome is Outcome.OVERTURNED:
        updates["resolved_on"] = decision.date
    entry = _entry(
        decision.recorded_at,
        decision.by,
        "decision_recorded",
        decision_id=decision.id,
        level=submitted.level.value,
        outcome=decision.outcome.value,
        date=decision.date.isoformat(),
        amount_recovered=decision.amount_recovered,
        next_level=next_level.value if next_level else None,
        before=work.status.value,
        after=Status.DECIDED.value,
    )
    return work.model_copy(update=updates), [entry]


def _check_amount(decision: Decision, amount_at_stake: float | None) -> None:
    amount = decision.amount_recovered
    if amount < 0 or amount > MAX_AMOUNT:
        raise InvalidValue("amount_out_of_range", f"amount_recovered must be between 0 and {MAX_AMOUNT:,.0f}")
    if amount_at_stake is not None and amount > amount_at_stake + 0.005:
        raise InvalidValue("amount_out_of_range", "amount_recovered is more than the amount at stake")
    if decision.outcome is Outcome.UPHELD and amount > 0:
        raise InvalidValue("amount_out_of_range", "an upheld denial recovers nothing")
    if decision.outcome is Outcome.PARTIALLY_OVERTURNED and amount <= 0:
        raise InvalidValue("amount_out_of_range", "a partial overturn recovers something: give amount_recovered")


def _following(level: str, levels: Sequence[str]) -> Level | None:
    """The first known level after `level` in `levels` (repeated tracks of one level are skipped)."""
    order = list(dict.fromkeys(levels))
    if level not in order:
        return None
    for candidate in order[order.index(level) + 1 :]:
        if candidate in LEVEL_NAMES:
            return Level(candidate)
    return None


def add_note(work: Work, note: Note) -> tuple[Work, list[HistoryEntry]]:
    if len(work.notes) >= MAX_NOTES:
        raise TransitionRefused("this case has as many notes as it can hold")
    return work.model_copy(update={"notes": [*work.notes, note]}), [
        _entry(note.at, note.by, "note_added", note_id=note.id)
    ]
