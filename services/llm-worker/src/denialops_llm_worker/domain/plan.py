"""The action plan for a routed case (SPEC 4.5), built from templates without an LLM."""

from __future__ import annotations

import datetime as dt

from denialops_llm_worker.domain import formatting as fmt
from denialops_llm_worker.domain.context import fact_context
from denialops_llm_worker.domain.playbooks import EXPEDITED_STEP, Playbook, StepSpec, playbook_for
from denialops_llm_worker.domain.questions import disclaimers, missing_info_questions, plan_assumptions
from denialops_llm_worker.domain.schedule import build_timeline, due_date
from denialops_shared.contracts.artifacts import (
    ActionPlan,
    CaseFacts,
    Deadlines,
    DeadlineTimeline,
    PlanStep,
    RouteDecision,
    Urgency,
)


def case_urgency(facts: CaseFacts, decision: RouteDecision) -> Urgency:
    urgent = Urgency.EXPEDITED in (facts.urgency, decision.urgency)
    return Urgency.EXPEDITED if urgent else Urgency.STANDARD


def deadline_sentence(timeline: DeadlineTimeline) -> str:
    days = timeline.days_remaining
    deadline = fmt.date(timeline.appeal_deadline)
    name = fmt.level(timeline.level) if timeline.level else "appeal"
    if days is None:
        return f"No {name} deadline is known yet."
    if days < 0:
        return f"The {name} deadline ({deadline}) passed {-days} days ago."
    return f"{name.capitalize()} deadline: {deadline} ({days} days left)."


def _next(deadlines: Deadlines | None, playbook: Playbook) -> str:
    """What to do next: the deadline engine's next action when it has one, else the route's goal."""
    if deadlines is None:
        return f"Next: {playbook.goal}."
    if not deadlines.appealable:
        # The engine's first warning says why (a Medicare timely-filing denial).
        return deadlines.warnings[0] if deadlines.warnings else "Not appealable."
    action = deadlines.next_action
    return (
        f"Next: {playbook.goal}; {action.action[0].lower()}{action.action[1:]}."
        if action
        else f"Next: {playbook.goal}."
    )


def _summary(
    facts: CaseFacts, playbook: Playbook, timeline: DeadlineTimeline, urgency: Urgency, deadlines: Deadlines | None
) -> str:
    title = f"{playbook.title} (EXPEDITED)" if urgency is Urgency.EXPEDITED else playbook.title
    # Only known facts go into the one-line summary; the placeholders belong in the documents.
    about = ", ".join(
        part
        for part in (
            facts.service_description,
            facts.patient_name and f"patient {facts.patient_name}",
            facts.claim_number and f"claim {facts.claim_number}",
        )
        if part
    )
    denied = f"{facts.payer_name or 'The payer'} denied {about or 'the claim'}."
    return f"{title}. {denied} {_next(deadlines, playbook)} {deadline_sentence(timeline)}"


def build_action_plan(
    facts: CaseFacts, decision: RouteDecision, today: dt.date, deadlines: Deadlines | None = None
) -> ActionPlan:
    """The plan; with the router's `deadlines.json` its timeline, due dates and next step follow the engine."""
    playbook = playbook_for(decision.route, facts)
    timeline = build_timeline(facts, today, deadlines)
    urgency = case_urgency(facts, decision)
    context = fact_context(facts, timeline)
    specs: tuple[StepSpec, ...] = playbook.steps
    if urgency is Urgency.EXPEDITED:
        specs = (EXPEDITED_STEP, *specs)
    steps = [
        PlanStep(
            order=order,
            title=spec.title,
            detail=spec.detail.format_map(context),
            owner=spec.owner,
            due_date=due_date(spec.share, timeline, urgency),
        )
        for order, spec in enumerate(specs, start=1)
    ]
    return ActionPlan(
        route=decision.route,
        summary=_summary(facts, playbook, timeline, urgency, deadlines),
        steps=steps,
        timeline=timeline,
        evidence_checklist=list(playbook.evidence),
        missing_info_questions=missing_info_questions(facts, playbook, timeline),
        assumptions=plan_assumptions(facts, decision, timeline, deadlines),
        disclaimers=disclaimers(),
        citations=[],
        generated_by="template",
    )
