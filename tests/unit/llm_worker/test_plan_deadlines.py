"""The plan and documents built on the router's `deadlines.json`: its next dated level sets the timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from denialops_llm_worker.domain.grounding import check_grounding
from denialops_llm_worker.domain.schedule import build_timeline
from denialops_llm_worker.pipeline import generate
from denialops_shared.contracts.artifacts import (
    CaseFacts,
    Clock,
    ClockBasis,
    DeadlineBasis,
    DeadlineLevel,
    Deadlines,
    NextAction,
    Regime,
    Route,
    RouteDecision,
)

TODAY = dt.date(2025, 3, 10)
REOPEN_BY = dt.date(2025, 6, 20)
REDETERMINE_BY = dt.date(2025, 7, 13)


def clock(due: dt.date | None, basis: ClockBasis, window: str, period: str | None) -> Clock:
    return Clock(due=due, basis=basis, window=window, source="42 CFR 405", period=period)


def medicare_deadlines(*, appealable: bool = True) -> Deadlines:
    """A Medicare FFS correction: a reopening with no date known, then a redetermination by REDETERMINE_BY."""
    levels = [
        DeadlineLevel(
            level="reopening", track="standard", filing=clock(None, ClockBasis.ASSUMED, "1 year", None), decision=None
        ),
        DeadlineLevel(
            level="redetermination",
            track="standard",
            filing=clock(REDETERMINE_BY, ClockBasis.COMPUTED, "120 days from receipt", "P120D"),
            decision=clock(None, ClockBasis.COMPUTED, "60 days after the MAC receives the request", "P60D"),
        ),
        DeadlineLevel(
            level="reconsideration",
            track="standard",
            filing=clock(None, ClockBasis.COMPUTED, "180 days from the decision at the level before", "P180D"),
            decision=None,
        ),
    ]
    return Deadlines(
        regime=Regime.MEDICARE_FFS,
        regime_reason="Original Medicare, Parts A/B: the letterhead says 'medicare summary notice'.",
        levels=levels if appealable else [],
        warnings=[f"Conflict: the letter's date 2025-07-08 differs from {REDETERMINE_BY.isoformat()} by the rule."]
        if appealable
        else ["Not appealable: a Medicare timely-filing denial is not an initial determination (42 CFR 424.44)."],
        next_action=NextAction(
            level="reopening", action="Ask the MAC to reopen the claim", due=None, basis=ClockBasis.ASSUMED
        )
        if appealable
        else None,
        appealable=appealable,
    )


def test_the_timeline_is_the_first_dated_level() -> None:
    facts = CaseFacts(appeal_deadline=REOPEN_BY, appeal_deadline_basis=DeadlineBasis.PRINTED)
    timeline = build_timeline(facts, TODAY, medicare_deadlines())
    assert (timeline.appeal_deadline, timeline.level, timeline.regime) == (
        REDETERMINE_BY,
        "redetermination",
        Regime.MEDICARE_FFS,
    )
    assert timeline.days_remaining == (REDETERMINE_BY - TODAY).days
    assert timeline.basis is DeadlineBasis.FROM_DENIAL_DATE
    # Without the engine's output, the letter's own deadline.
    assert build_timeline(facts, TODAY).appeal_deadline == REOPEN_BY


def test_plan_and_documents_use_the_deadlines(facts: CaseFacts, make_decision: Callable[..., RouteDecision]) -> None:
    decision = make_decision(Route.CLAIM_CORRECTION_RESUBMIT)
    pack = generate(facts, decision, TODAY, deadlines=medicare_deadlines())
    plan = pack.plan
    assert plan.timeline.appeal_deadline == REDETERMINE_BY
    assert "ask the MAC to reopen the claim" in plan.summary
    assert "Redetermination deadline: July 13, 2025" in plan.summary
    assert all(step.due_date is None or step.due_date <= REDETERMINE_BY for step in plan.steps)
    assert any(step.due_date is not None for step in plan.steps)
    assert any(a.startswith("Programme: Original Medicare") for a in plan.assumptions)
    assert any(a.startswith("Conflict:") for a in plan.assumptions)
    assert "## Deadlines by level" in pack.plan_markdown
    assert "| redetermination | standard | July 13, 2025 | computed |" in pack.plan_markdown
    assert "| reconsideration | standard | counted from a later decision |" in pack.plan_markdown
    assert "July 13, 2025" in pack.documents["resubmit_checklist.md"]
    # The engine's dates, its warnings' too, are grounded.
    assert not any(pack.ungrounded.values()), pack.ungrounded


def test_a_date_only_the_deadlines_hold_is_grounded_only_with_them(
    facts: CaseFacts, make_decision: Callable[..., RouteDecision]
) -> None:
    text = "File the redetermination by July 13, 2025 (the rule gave 2025-07-13)."
    assert check_grounding(text, facts, None, medicare_deadlines()).grounded
    assert not check_grounding(text, facts, None, None).grounded


def test_a_denial_that_is_not_appealable_says_so(facts: CaseFacts, make_decision: Callable[..., RouteDecision]) -> None:
    pack = generate(facts, make_decision(Route.ADMIN_DENIAL), TODAY, deadlines=medicare_deadlines(appealable=False))
    assert "Not appealable: a Medicare timely-filing denial" in pack.plan.summary
    assert pack.plan.timeline.appeal_deadline is None
    assert "No appeal deadline is known yet." in pack.plan.summary
