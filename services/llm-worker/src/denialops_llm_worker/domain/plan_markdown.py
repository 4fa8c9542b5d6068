"""`action_plan.md`: the action plan as a readable document."""

from __future__ import annotations

from denialops_llm_worker.domain import formatting as fmt
from denialops_llm_worker.domain.playbooks import playbook_for
from denialops_llm_worker.domain.sections import (
    assumptions_section,
    case_reference,
    disclaimer_footer,
    document,
    section,
)
from denialops_shared.contracts.artifacts import ActionPlan, CaseFacts, DeadlineBasis, PlanStep

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
            f"**Appeal deadline:** {fmt.date(timeline.appeal_deadline)}",
            f"**Time left:** {_days_remaining(timeline.days_remaining)}",
            f"**Deadline basis:** {_BASIS[timeline.basis]}",
        )
    )


def render_action_plan_markdown(plan: ActionPlan, facts: CaseFacts, outlook: str | None = None) -> str:
    """The plan as Markdown; `outlook` is the model's success prediction (LLM path only)."""
    title = playbook_for(plan.route, facts).title
    questions = plan.missing_info_questions or ["Nothing is missing for this route."]
    return document(
        f"Action plan: {title}",
        plan.summary,
        section("Case", case_reference(facts)),
        section("Deadline", _timeline(plan)),
        section("Steps", "\n".join(_step(step) for step in plan.steps)),
        section("Evidence checklist", fmt.checkboxes(plan.evidence_checklist)),
        section("Missing information", fmt.bullets(questions)),
        section("Outlook (a model's estimate)", outlook) if outlook else "",
        assumptions_section(plan.assumptions),
        section("Citations", fmt.bullets(plan.citations)) if plan.citations else "",
        disclaimer_footer(plan.disclaimers),
    )
