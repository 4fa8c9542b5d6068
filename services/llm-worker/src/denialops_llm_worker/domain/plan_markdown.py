"""`action_plan.md`: the action plan as a readable document."""

from __future__ import annotations

from denialops_llm_worker.domain import formatting as fmt
from denialops_llm_worker.domain.context import fact_context
from denialops_llm_worker.domain.playbooks import playbook_for
from denialops_llm_worker.domain.sections import (
    assumptions_section,
    case_reference,
    disclaimer_footer,
    document,
    section,
)
from denialops_shared.contracts.artifacts import (
    ActionPlan,
    CaseFacts,
    ClockBasis,
    DeadlineBasis,
    DeadlineLevel,
    Deadlines,
    PlanStep,
)

_BASIS = {
    DeadlineBasis.PRINTED: "printed in the letter",
    DeadlineBasis.FROM_DENIAL_DATE: "date of denial plus the appeal window",
    DeadlineBasis.FROM_RECEIPT: "assumption: counted from when the letter was received",
    DeadlineBasis.UNKNOWN: "not known",
}


def _step(step: PlanStep) -> str:
    return f"{step.order}. **{step.title}** (owner: {step.owner}; due: {fmt.due(step.due_date)})\n   {step.detail}"


def _days_remaining(days: int | None) -> str:
    if days is None:
        return fmt.UNKNOWN
    return f"{days} days" if days >= 0 else f"the deadline passed {-days} days ago"


def _timeline(plan: ActionPlan) -> str:
    timeline = plan.timeline
    return fmt.bullets(
        (
            f"**As of:** {fmt.date(timeline.as_of)}",
            f"**{fmt.level(timeline.level).capitalize() if timeline.level else 'Appeal'} deadline:** "
            f"{fmt.date(timeline.appeal_deadline)}",
            f"**Time left:** {_days_remaining(timeline.days_remaining)}",
            f"**Deadline basis:** {_BASIS[timeline.basis]}",
        )
    )


_CLOCK_BASIS = {
    ClockBasis.PRINTED: "printed in the letter",
    ClockBasis.COMPUTED: "computed",
    ClockBasis.ASSUMED: "assumption",
}


def _level_row(level: DeadlineLevel) -> str:
    filing = level.filing
    due = fmt.date(filing.due) if filing.due else "counted from a later decision" if filing.period else "no date"
    decision = level.decision.window if level.decision and level.decision.window else "-"
    cells = (fmt.level(level.level), level.track, due, _CLOCK_BASIS[filing.basis], filing.window or "-", filing.source)
    return "| " + " | ".join((*cells, decision)) + " |"


def _deadlines(deadlines: Deadlines) -> str:
    """Every level ahead with its two clocks: ours to file, then the payer's to decide once we have filed."""
    lines = [f"**Programme:** {deadlines.regime_reason}", ""]
    if deadlines.levels:
        lines += [
            "| level | track | file by | basis | window | source | payer decides within |",
            "|---|---|---|---|---|---|---|",
            *(_level_row(level) for level in deadlines.levels),
        ]
    if deadlines.warnings:
        lines += ["", fmt.bullets(deadlines.warnings)]
    return "\n".join(lines)


def render_action_plan_markdown(
    plan: ActionPlan, facts: CaseFacts, outlook: str | None = None, deadlines: Deadlines | None = None
) -> str:
    """The plan as Markdown; `outlook` is the model's success prediction (LLM path only); `deadlines` the
    router's deadline engine output, shown level by level."""
    title = playbook_for(plan.route, facts).title
    questions = plan.missing_info_questions or ["Nothing is missing for this route."]
    return document(
        f"Action plan: {title}",
        plan.summary,
        section("Case", case_reference(fact_context(facts, plan.timeline))),
        section("Deadline", _timeline(plan)),
        section("Deadlines by level", _deadlines(deadlines)) if deadlines else "",
        section("Steps", "\n".join(_step(step) for step in plan.steps)),
        section("Evidence checklist", fmt.checkboxes(plan.evidence_checklist)),
        section("Missing information", fmt.bullets(questions)),
        section("Outlook (a model's estimate)", outlook) if outlook else "",
        assumptions_section(plan.assumptions),
        section("Citations", fmt.bullets(plan.citations)) if plan.citations else "",
        disclaimer_footer(plan.disclaimers),
    )
