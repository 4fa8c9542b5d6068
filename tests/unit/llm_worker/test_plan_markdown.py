"""`action_plan.md`: every part of the plan, readable, grounded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from denialops_llm_worker.domain import build_action_plan, check_grounding, render_action_plan_markdown
from denialops_llm_worker.domain.formatting import DISCLAIMER, UNKNOWN
from denialops_shared.contracts.artifacts import CaseFacts, DeadlineBasis, Route, RouteDecision


def test_markdown_is_grounded_and_complete(
    route: Route, facts: CaseFacts, make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    plan = build_action_plan(facts, make_decision(route), today)
    markdown = render_action_plan_markdown(plan, facts)

    for heading in ("Case", "Deadline", "Steps", "Evidence checklist", "Missing information", "Assumptions"):
        assert f"\n## {heading}\n" in markdown
    assert DISCLAIMER in markdown
    assert "None" not in markdown
    assert "## Citations" not in markdown  # fast mode: none
    assert all(step.title in markdown for step in plan.steps)
    report = check_grounding(markdown, facts, plan)
    assert report.grounded, report.ungrounded


def test_markdown_shows_the_timeline(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(Route.PRIOR_AUTH_NEEDED, appeal_deadline_basis=DeadlineBasis.FROM_RECEIPT)
    plan = build_action_plan(facts, make_decision(Route.PRIOR_AUTH_NEEDED), today)
    markdown = render_action_plan_markdown(plan, facts)
    assert "**As of:** March 10, 2025" in markdown
    assert "**Appeal deadline:** April 21, 2025" in markdown
    assert "**Time left:** 42 days" in markdown
    assert "**Deadline basis:** assumption: counted from when the letter was received" in markdown
    assert "1. **Confirm the authorization status** (owner: billing office; due: March 14, 2025)" in markdown


def test_markdown_without_a_deadline(make_decision: Callable[..., RouteDecision], today: dt.date) -> None:
    facts = CaseFacts()
    markdown = render_action_plan_markdown(build_action_plan(facts, make_decision(Route.EXCLUSION), today), facts)
    assert f"**Time left:** {UNKNOWN}" in markdown
    assert "due: as soon as possible" in markdown
