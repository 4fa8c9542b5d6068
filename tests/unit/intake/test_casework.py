"""Case work: the status machine, submissions, decisions and notes, with the history each writes."""

from __future__ import annotations

import datetime as dt

import pytest

from denialops_intake.domain import casework
from denialops_intake.domain.casework import (
    Channel,
    Decision,
    InvalidValue,
    Level,
    Note,
    Outcome,
    Status,
    Submission,
    TransitionRefused,
    Work,
)

AT = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
DENIED = dt.date(2025, 2, 1)
TODAY = dt.date(2025, 3, 1)


def submission(day: dt.date = dt.date(2025, 2, 10), level: Level = Level.APPEAL) -> Submission:
    return Submission(
        id="s1", level=level, date=day, channel=Channel.FAX, documents=["appeal_letter.md"], recorded_at=AT, by="key:a"
    )


def decision(outcome: Outcome, amount: float = 0.0, day: dt.date = dt.date(2025, 2, 20)) -> Decision:
    return Decision(
        id="d1", level=Level.APPEAL, outcome=outcome, date=day, amount_recovered=amount, recorded_at=AT, by="key:a"
    )


def submitted() -> Work:
    work, _ = casework.submit(Work(), submission(), denied_on=DENIED, today=TODAY)
    return work


def decided(outcome: Outcome, amount: float = 0.0) -> Work:
    work, _ = casework.decide(
        submitted(), decision(outcome, amount), today=TODAY, amount_at_stake=500.0, levels=["appeal", "external_review"]
    )
    return work


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (Work(), Status.IN_PROGRESS, True),
        (Work(), Status.CLOSED, False),
        (Work(), Status.SUBMITTED, False),
        (Work(), Status.DECIDED, False),
        (Work(status=Status.IN_PROGRESS), Status.NEW, False),
        (Work(status=Status.CLOSED), Status.IN_PROGRESS, False),
        (Work(status=Status.WRITTEN_OFF), Status.IN_PROGRESS, False),
        (Work(status=Status.DECIDED, outcome=Outcome.UPHELD), Status.IN_PROGRESS, True),
        (Work(status=Status.DECIDED, outcome=Outcome.OVERTURNED), Status.IN_PROGRESS, False),
        (Work(status=Status.DECIDED, outcome=Outcome.OVERTURNED), Status.CLOSED, True),
    ],
)
def test_status_transitions(start: Work, target: Status, allowed: bool) -> None:
    if allowed:
        after, entries = casework.change(start, at=AT, by="key:a", status=target)
        assert after.status is target
        assert [(e.action, e.changes["before"], e.changes["after"]) for e in entries] == [
            ("status_changed", start.status.value, target.value)
        ]
    else:
        with pytest.raises(TransitionRefused):
            casework.change(start, at=AT, by="key:a", status=target)


def test_a_write_off_needs_a_reason_and_resolves_the_case() -> None:
    with pytest.raises(InvalidValue):
        casework.change(Work(), at=AT, by="key:a", status=Status.WRITTEN_OFF)
    after, _ = casework.change(Work(), at=AT, by="key:a", status=Status.WRITTEN_OFF, written_off_reason="too small")
    assert (after.written_off_reason, after.resolved_on) == ("too small", AT.date())


def test_setting_the_same_owner_or_status_writes_no_history() -> None:
    work = Work(owner="dana", status=Status.IN_PROGRESS)
    after, entries = casework.change(work, at=AT, by="key:a", owner="dana", set_owner=True, status=Status.IN_PROGRESS)
    assert (after, entries) == (work, [])
    cleared, entries = casework.change(work, at=AT, by="key:a", owner=None, set_owner=True)
    assert cleared.owner is None
    assert entries[0].changes == {"before": "dana", "after": None}


@pytest.mark.parametrize(
    ("day", "code"),
    [(dt.date(2025, 1, 31), "date_out_of_range"), (dt.date(2025, 3, 5), "date_out_of_range")],
)
def test_a_submission_dated_before_the_denial_or_in_the_future_is_refused(day: dt.date, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        casework.submit(Work(), submission(day), denied_on=DENIED, today=TODAY)
    assert refused.value.code == code


def test_a_submission_makes_the_case_submitted_at_its_level() -> None:
    work, entries = casework.submit(Work(), submission(), denied_on=DENIED, today=TODAY)
    assert (work.status, work.level, work.first_submitted_on) == (Status.SUBMITTED, Level.APPEAL, dt.date(2025, 2, 10))
    assert entries[0].changes["documents"] == ["appeal_letter.md"]
    with pytest.raises(TransitionRefused):
        casework.submit(Work(status=Status.CLOSED), submission(), denied_on=DENIED, today=TODAY)


def test_an_upheld_decision_moves_the_case_to_the_next_level() -> None:
    work = decided(Outcome.UPHELD)
    assert (work.status, work.outcome, work.level, work.recovered) == (
        Status.DECIDED,
        Outcome.UPHELD,
        Level.EXTERNAL_REVIEW,
        0.0,
    )
    again, _ = casework.submit(
        work, submission(dt.date(2025, 2, 25), Level.EXTERNAL_REVIEW), denied_on=DENIED, today=TODAY
    )
    assert again.status is Status.SUBMITTED


def test_an_overturn_resolves_the_case_and_counts_the_money() -> None:
    work = decided(Outcome.OVERTURNED, 500.0)
    assert (work.resolved_on, work.recovered, work.level) == (dt.date(2025, 2, 20), 500.0, Level.APPEAL)
    with pytest.raises(TransitionRefused):
        casework.submit(work, submission(dt.date(2025, 2, 25)), denied_on=DENIED, today=TODAY)


@pytest.mark.parametrize(
    ("outcome", "amount", "at_stake"),
    [
        (Outcome.OVERTURNED, -1.0, 500.0),
        (Outcome.OVERTURNED, 10_000_001.0, None),
        (Outcome.OVERTURNED, 500.01, 500.0),
        (Outcome.UPHELD, 10.0, 500.0),
        (Outcome.PARTIALLY_OVERTURNED, 0.0, 500.0),
    ],
)
def test_absurd_amounts_are_refused(outcome: Outcome, amount: float, at_stake: float | None) -> None:
    with pytest.raises(InvalidValue):
        casework.decide(submitted(), decision(outcome, amount), today=TODAY, amount_at_stake=at_stake, levels=[])


def test_a_decision_needs_a_submission_and_a_date_after_it() -> None:
    with pytest.raises(TransitionRefused):
        casework.decide(Work(), decision(Outcome.UPHELD), today=TODAY, amount_at_stake=None, levels=[])
    with pytest.raises(InvalidValue):
        casework.decide(
            submitted(), decision(Outcome.UPHELD, day=dt.date(2025, 2, 9)), today=TODAY, amount_at_stake=None, levels=[]
        )


def test_notes_are_bounded_and_recorded_by_id() -> None:
    note = Note(id="n1", text="called the payer", at=AT, by="key:a")
    work, entries = casework.add_note(Work(), note)
    assert work.notes == [note]
    assert entries[0].changes == {"note_id": "n1"}, "the history names the note; its text stays in the note"
    full = Work(notes=[note] * casework.MAX_NOTES)
    with pytest.raises(TransitionRefused):
        casework.add_note(full, note)
